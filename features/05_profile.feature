@profile @users @okta-required
Feature: Push profile updates
  Every profile change is a GET of the user, then a PUT of that body with Okta's mapped
  attributes overwritten; everything Okta does not own is echoed back (okta-scim-wire §4).

  Scenario: A profile update is a GET then a PUT of the app's own representation
    Given Okta user "frank"
    And "frank" is assigned to the app
    When Okta pushes a profile update for "frank"
    Then the app shows the profile update of "frank"
