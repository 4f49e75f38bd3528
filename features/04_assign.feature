@assign @users
Feature: Assign a user to the app
  Okta looks the user up by userName first, then creates it with POST, or links the user the
  app already has with GET and PUT (okta-scim-wire §3).

  @okta-required
  Scenario: A new user is created
    Given Okta user "alice"
    When Okta assigns "alice" to the app
    Then "alice" is active in the app

  @okta-required
  Scenario: A user the app already has is linked, not duplicated
    Given Okta user "bob"
    And the app already has a user for "bob"
    When Okta assigns "bob" to the app
    Then the app has exactly one user for "bob"

  @rfc-must
  Scenario: A user whose userName differs only in case is linked, not duplicated
    Given Okta user "carol"
    And the app already has a user for "carol" with the userName in upper case
    When Okta assigns "carol" to the app
    Then the app has exactly one user for "carol"

  @rfc-must
  Scenario: The userName filter ignores case
    Given Okta user "dave"
    And "dave" is assigned to the app
    When Okta looks up "dave" by userName in upper case

  @okta-required
  Scenario: Creating the same user twice is a 409 conflict
    Given Okta user "erin"
    And "erin" is assigned to the app
    When Okta creates "erin" again without looking it up first
