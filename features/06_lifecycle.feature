@lifecycle @users @okta-required
Feature: Deactivate, reactivate, unassign, reassign and password sync
  OIN apps get a path-less PATCH {"op":"replace","value":{"active":false}}; AIW apps a GET then
  a PUT with active false. Okta never deletes users: they stay readable, and reactivation
  keeps the same id (okta-scim-wire §5).

  Scenario: Deactivation makes the user inactive and keeps it readable
    Given Okta user "gina"
    And "gina" is assigned to the app
    When Okta deactivates "gina"
    Then "gina" is inactive in the app

  Scenario: Reactivation makes the user active again with the same id
    Given Okta user "hank"
    And "hank" is assigned to the app
    And "hank" is deactivated
    When Okta reactivates "hank"
    Then "hank" is active in the app
    And "hank" keeps the same app id

  Scenario: Unassigning and reassigning keep the user and its id
    Given Okta user "iris"
    And "iris" is assigned to the app
    When Okta unassigns "iris"
    Then "iris" is inactive in the app
    When Okta reassigns "iris"
    Then "iris" is active in the app
    And "iris" keeps the same app id

  Scenario: A deactivated user is still found by the userName pre-check when reassigned
    Given Okta user "jack"
    And "jack" is assigned to the app
    And "jack" is deactivated
    When Okta assigns "jack" to the app
    Then the app has exactly one user for "jack"

  @password
  Scenario: Password sync is accepted
    Given Okta user "kate"
    And "kate" is assigned to the app
    When Okta syncs the password of "kate"
