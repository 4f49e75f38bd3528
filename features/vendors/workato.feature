@vendor @workato
Feature: Workato (guide 003): the flows of "Configure SCIM in Okta"
  Run with `okta-sim check --profile workato`: the simulated Okta is the admin's own SAML app with
  SCIM enabled (an App Integration Wizard app, HTTP Header with a Bearer token), pushing the
  environment role attributes workato_role, workato_role_test and workato_role_prod over SCIM
  (set per assigned group) and the collaborator groups in the SAML attribute
  workato_user_groups; each scenario is one thing the guide promises Workato's customers.

  Scenario: "Click Test Connector Configuration to determine if your setup is correct."
    When Okta tests the API credentials

  @saml
  Scenario: "Users provisioned through SCIM exist in Workato immediately, but they don’t receive roles or collaborator group memberships until they log in through SAML."
    Given Okta user "wa" in groups "Finance Builders, Ops Reviewers"
    And Okta group "Workato Builders" with members "wa"
    When group "Workato Builders" is assigned to the app with priority 0 and:
      | attribute         | value    |
      | workato_role      | Analyst  |
      | workato_role_prod | Operator |
    Then the app shows "wa" with:
      """
      {"urn:ietf:params:scim:schemas:extension:workato:2.0:User": {"workato_role": "Analyst", "workato_role_prod": "Operator"}}
      """
    And "wa" has no role or group in the app yet, as the guide's promise "app.sign_in_privileges" says
    When "wa" signs in from the Okta dashboard
    Then "wa" holds the roles "Analyst, Operator" and the groups "Finance Builders, Ops Reviewers" in the app, as the guide's promise "app.sign_in_privileges" says

  @saml
  Scenario: "Environment roles and collaborator group memberships are managed through SAML and take effect the next time the user signs in."
    Given Okta user "wb" in groups "Team A"
    And Okta group "Workato Admins" with members "wb"
    And group "Workato Admins" is assigned to the app with priority 0 and:
      | attribute    | value |
      | workato_role | Admin |
    And "wb" signed in from the Okta dashboard
    When "wb" moves to the Okta groups "Team B"
    Then "wb" holds the roles "Admin" and the groups "Team A" in the app, as the guide's promise "next_sign_in" says
    When "wb" signs in from the Okta dashboard
    Then "wb" holds the roles "Admin" and the groups "Team B" in the app, as the guide's promise "next_sign_in" says

  @saml
  Scenario: "User is deactivated in Okta", "In all these situations, the user cannot access the Workato workspace.", "would retain their earlier privileges"
    Given Okta user "wd" in groups "Team C"
    And Okta group "Workato Operators" with members "wd"
    And group "Workato Operators" is assigned to the app with priority 0 and:
      | attribute         | value    |
      | workato_role_test | Operator |
    And "wd" signed in from the Okta dashboard
    When Okta deactivates "wd"
    Then "wd" is inactive in the app
    And "wd" cannot sign in to the app, as the guide's promise "no_access" says
    When Okta reactivates "wd"
    Then "wd" is active in the app
    And "wd" keeps the same app id
    And "wd" holds the roles "Operator" and the groups "Team C" in the app, as the guide's promise "earlier_privileges" says

  @saml
  Scenario: "Workato app is removed from the user", and re-provisioned later
    Given Okta user "wr" in groups "Team D"
    And "wr" is assigned to the app
    And "wr" signed in from the Okta dashboard
    When Okta unassigns "wr"
    Then "wr" is inactive in the app
    And "wr" cannot sign in to the app, as the guide's promise "no_access" says
    When Okta reassigns "wr"
    Then "wr" is active in the app
    And "wr" keeps the same app id

  Scenario: "User is suspended in Okta": Okta sends nothing
    Given "ws" is assigned to the app
    When Okta suspends "ws"
    Then Okta sent nothing
    And the app deprovisioned "ws", as the guide's promise "features.deactivate_users" says
