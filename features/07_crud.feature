@crud @users @okta-required
Feature: Okta's SCIM 2.0 CRUD test
  The flow of Okta's CRUD test (okta-scim-wire §10.2): assign, verify, update the first name,
  deactivate, reactivate by reassigning, then remove the assignment. The user is read back
  after every change.

  Scenario: The CRUD flow
    Given Okta user "runscope"
    When Okta assigns "runscope" to the app
    Then "runscope" is active in the app
    When Okta pushes a profile update for "runscope"
    Then the app shows the profile update of "runscope"
    When Okta deactivates "runscope"
    Then "runscope" is inactive in the app
    When Okta reassigns "runscope"
    Then "runscope" is active in the app
    And "runscope" keeps the same app id
    When Okta unassigns "runscope"
    Then "runscope" is inactive in the app
