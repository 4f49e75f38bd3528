@vendor @natoma
Feature: Natoma (guide 001): the flows of "Okta SSO"
  Run with `okta-sim check --profile natoma`: the simulated Okta is the Natoma OIN app, sending
  the attribute statements the guide lists (email = user.email, name = user.firstName + " " +
  user.lastName), with the SCIM features the guide enables; each scenario is one thing the guide
  promises Natoma's customers.

  @saml
  Scenario: "Click Test SAML. Once the test passes, click Update."
    Given Okta user "admin"
    When the admin runs the app's SAML test as "admin"

  @saml @whoami
  Scenario: "Copy your tenant ID from the Entity ID or ACS URL field.": Okta signs for the tenant's URLs
    Given Okta user "ten"
    When "ten" signs in from the Okta dashboard, as the guide's promise "saml.acs_path" says

  @saml @whoami
  Scenario: "SP-initiated SSO (Single Sign-On)", with the email and name attributes
    Given Okta user "nat"
    When "nat" signs in from the app
    Then the app knows "nat" by email, full name and groups

  @saml @whoami
  Scenario: "IdP-initiated SSO (through Third-party Initiated Login)"
    Given Okta user "oma"
    When "oma" signs in from the Okta dashboard
    Then the app knows "oma" by email, full name and groups

  @saml @jit
  Scenario: "Just-In-Time provisioning": the name attribute becomes the user's name
    Given Okta user "jit"
    When "jit" signs in from the Okta dashboard
    Then the app has a user for "jit" with the name from Okta

  Scenario: "Create users", "Update user attributes", "Deactivate users"
    Given "cu" is assigned to the app
    When Okta pushes a profile update for "cu"
    Then the app shows the profile update of "cu"
    When Okta deactivates "cu"
    Then "cu" is inactive in the app

  Scenario: "Import users"
    Given "iu" is assigned to the app
    When Okta imports users
    Then Okta imported at least 1 users

  Scenario: "select Push group memberships immediately"
    Given Okta user "gp"
    And "gp" is assigned to the app
    And Okta group "natoma team" with members "gp"
    When Okta pushes group "natoma team"
    Then group "natoma team" in the app has members "gp"
