@vendor @attio
Feature: Attio (guide 004): the flows of "Set up SCIM with Okta"
  Run with `okta-sim check --profile attio`: the simulated Okta is the Attio OIN app, its SCIM
  connection authorized with OAuth 2.0 at the app's authorize and token endpoints, an Attio
  Role attribute set per assigned group, and the SCIM features the guide enables; each scenario
  is one thing the guide promises Attio's customers.

  @oauth
  Scenario: "Click Authenticate with Attio. You will be redirected to log in to Attio."
    When the admin authenticates Okta with the app
    And Okta tests the API credentials

  @oauth
  Scenario: An expired access token is refreshed when a SCIM operation needs it
    Given the admin authenticated Okta with the app
    When Okta's access token expires
    And Okta assigns "ro" to the app
    Then Okta refreshed its access token and the app accepted the new one

  Scenario: "Update the Attio Role value if needed, selecting Admin or Member."
    Given Okta user "ad"
    And Okta user "me"
    And Okta group "Attio - Admins" with members "ad"
    And Okta group "Attio - Members" with members "me"
    When group "Attio - Admins" is assigned to the app with priority 0 and:
      | attribute | value |
      | attioRole | Admin |
    And group "Attio - Members" is assigned to the app with priority 1 and:
      | attribute | value  |
      | attioRole | Member |
    Then the app shows "ad" with:
      """
      {"urn:ietf:params:scim:schemas:extension:attio:2.0:User": {"role": "Admin"}}
      """
    And the app shows "me" with:
      """
      {"urn:ietf:params:scim:schemas:extension:attio:2.0:User": {"role": "Member"}}
      """

  Scenario: "Existing users are linked rather than duplicated."
    Given the app already has a user for "ex"
    When Okta assigns "ex" to the app
    Then the app has exactly one user for "ex"

  Scenario: "When a group is pushed, Attio creates a new team."
    Given "tm" is assigned to the app
    And Okta group "Design" with members "tm"
    When Okta pushes group "Design"
    Then group "Design" in the app has members "tm"

  Scenario: "Click Refresh App Groups to make sure Okta has the latest list of Attio teams." and link the team of the exact name
    Given "ln" is assigned to the app
    And the app has a group "Sales" with members ""
    And Okta group "Sales" with members "ln"
    When Okta refreshes the app groups
    And Okta links group "Sales" to the app group "Sales"
    Then group "Sales" in the app has members "ln"

  Scenario: "The group name in Okta needs to match exactly the team name in Attio (case-sensitive)."
    Given the app has a group "Marketing" with members ""
    Then the app keeps its guide's promise "groups.link_name_case" for "Marketing"

  Scenario: "When you unlink a group from the Push Groups tab, Okta will prompt you to choose whether to delete the corresponding team in Attio or keep it."
    Given Okta group "Keep" with members ""
    And Okta group "Drop" with members ""
    And "Keep" is pushed to the app
    And "Drop" is pushed to the app
    When Okta unlinks group "Keep" and leaves the app group
    And Okta unlinks group "Drop" and deletes the app group
    Then group "Keep" is still in the app
    And group "Drop" is gone from the app

  Scenario: "Okta does not support removing a user from a group via SCIM. To remove a user from a team in Attio, do so directly in Attio."
    Given "rm" is assigned to the app
    And Okta group "Ops" with members "rm"
    And "Ops" is pushed to the app
    When Okta removes "rm" from group "Ops"
    Then group "Ops" in the app still lists "rm", as the guide's promise "app.keeps_removed_members" says
