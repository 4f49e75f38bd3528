@vendor @atlan
Feature: Atlan (guide 002): the flows of "How to enable Okta for SCIM provisioning"
  Run with `okta-sim check --profile atlan`: the simulated Okta is configured as the guide tells
  the admin to (an App Integration Wizard SAML app with SCIM, HTTP Header authentication, the
  base URL /api/service/scim/, import and push of users, profiles and groups, renaming on), and
  each scenario is one thing the guide promises Atlan's customers.

  Scenario: Test Connector Configuration succeeds
    When Okta tests the API credentials

  Scenario: "Okta does not create a new account if it detects that the username specified in Okta already exists in Atlan."
    Given the app already has a user for "ana"
    When Okta assigns "ana" to the app
    Then the app has exactly one user for "ana"

  Scenario: "Profile changes made in Atlan will be overwritten with their respective Okta profile values."
    Given "bo" is assigned to the app
    When the app itself sets "name.givenName" of "bo" to "Edited in Atlan"
    And Okta pushes a profile update for "bo"
    Then the app shows the profile update of "bo"

  Scenario: "Okta will also reactivate the Atlan account if the app integration is reassigned to a user in Okta."
    Given "cy" is assigned to the app
    When Okta unassigns "cy"
    Then "cy" is inactive in the app
    When Okta reassigns "cy"
    Then "cy" is active in the app
    And "cy" keeps the same app id

  Scenario: "The username and email address of new and existing users cannot be changed once users have been provisioned to Atlan."
    Given "di" is assigned to the app
    Then the app keeps its guide's promise "app.immutable_user_attributes" for "di"

  Scenario: "click Rename app groups to match group name in Okta and then click Save to rename groups in Atlan when linking groups."
    Given Okta user "ed"
    And "ed" is assigned to the app
    And the app has a group "Atlan Stewards" with members ""
    And Okta group "stewards" with members "ed"
    When Okta links group "stewards" to the app group "Atlan Stewards" and renames it
    Then group "stewards" in the app has members "ed"
    And group "stewards" in the app has the Okta group's name
