@groups @link @okta-required
Feature: Link Group
  An admin links an Okta group to an app group that already exists, found by its exact name.
  Okta pushes its members and keeps the app group's own members; it renames the app group only
  when renaming is on (okta-scim-wire §7, test plan C9315 and C9330).

  Background:
    Given Okta user "olga"
    And Okta user "pete"
    And Okta user "quinn"
    And "olga", "pete" and "quinn" are assigned to the app

  Scenario: Linking without renaming keeps the app group's name and members
    Given the app has a group "Vendor Admins" with members "olga"
    And Okta group "admins" with members "pete"
    When Okta links group "admins" to the app group "Vendor Admins"
    Then group "admins" in the app has members "olga, pete"
    And group "admins" in the app is named "Vendor Admins"

  @rename
  Scenario: Linking with renaming renames the app group
    Given the app has a group "Vendor Editors" with members "quinn"
    And Okta group "editors" with members "pete"
    When Okta links group "editors" to the app group "Vendor Editors" and renames it
    Then group "editors" in the app has members "quinn, pete"
    And group "editors" in the app has the Okta group's name
