@import @okta-required
Feature: Import users and groups
  Okta imports by pages of 100 (okta-scim-wire §2): startIndex=1, 101, 201… until startIndex
  passes totalResults; its OIN review also asks for a page past the end. itemsPerPage must be
  the number of Resources returned, and users with active false are not imported.

  @users
  Scenario: Importing users pages past 100 and past the end
    Given the app has 120 more users
    When Okta imports users
    Then Okta imported at least 120 users

  @users
  Scenario: A deactivated user is listed as inactive, so Okta does not import it
    Given Okta user "leaver"
    And "leaver" is assigned to the app
    And "leaver" is deactivated
    When Okta imports users
    Then the import found "leaver" inactive

  @groups
  Scenario: Importing groups
    Given Okta user "ann"
    And "ann" is assigned to the app
    And Okta group "imported" with members "ann"
    And "imported" is pushed to the app
    When Okta imports groups

  @groups
  Scenario: Refreshing app groups gets complete list responses
    When Okta refreshes the app groups
