@groups @push @okta-required
Feature: Group Push
  Okta looks the group up by displayName, creates it, then keeps its members in step: one
  remove per user with members[value eq "…"], one add with the list, a rename PATCH with id
  inside value when renaming is on, and Push Now replacing all members (okta-scim-wire §6).

  Background:
    Given Okta user "lena"
    And Okta user "mike"
    And Okta user "nora"
    And "lena", "mike" and "nora" are assigned to the app

  Scenario: Pushing a group creates it with its members
    Given Okta group "eng" with members "lena, mike"
    When Okta pushes group "eng"
    Then group "eng" in the app has members "lena, mike"

  Scenario: Pushing an empty group
    Given Okta group "empty" with members ""
    When Okta pushes group "empty"
    Then group "empty" in the app has no members

  Scenario: Adding members, also one already present, never duplicates them
    Given Okta group "ops" with members "lena"
    And "ops" is pushed to the app
    When Okta adds "mike, nora" to group "ops"
    And Okta adds "lena" to group "ops"
    Then group "ops" in the app has members "lena, mike, nora"

  @oin
  Scenario: Removing a member uses a filter path
    Given Okta group "sales" with members "lena, mike, nora"
    And "sales" is pushed to the app
    When Okta removes "mike" from group "sales"
    Then group "sales" in the app has members "lena, nora"

  @rename
  Scenario: Renaming a group with renaming on
    Given group renaming is on
    And Okta group "design" with members "lena"
    And "design" is pushed to the app
    When Okta renames group "design" to "Design Renamed"
    Then group "design" in the app is named "Design Renamed"

  @rename @oin
  Scenario: With renaming on, a membership update comes with the rename PATCH
    Given group renaming is on
    And Okta group "support" with members "lena"
    And "support" is pushed to the app
    When Okta adds "nora" to group "support"
    Then group "support" in the app has members "lena, nora"

  @aiw
  Scenario: Membership changes are a GET then a PUT of the whole group
    Given Okta group "research" with members "lena, mike"
    And "research" is pushed to the app
    When Okta removes "mike" from group "research"
    And Okta adds "nora" to group "research"
    Then group "research" in the app has members "lena, nora"

  Scenario: Push Now replaces all members
    Given Okta group "finance" with members "lena, mike"
    And "finance" is pushed to the app
    When Okta removes "lena, mike" from group "finance"
    And Okta adds "nora" to group "finance"
    And Okta pushes group "finance" now
    Then group "finance" in the app has members "nora"

  Scenario: Push Now on a group that became empty
    Given Okta group "legal" with members "lena"
    And "legal" is pushed to the app
    When Okta removes "lena" from group "legal"
    And Okta pushes group "legal" now
    Then group "legal" in the app has no members

  Scenario: One push that removes and adds members is one PATCH, removes first
    Given Okta group "platform" with members "lena, mike"
    And "platform" is pushed to the app
    When Okta changes the members of group "platform": removes "mike" and adds "nora"
    Then group "platform" in the app has members "lena, nora"

  Scenario: A user moved between two pushed groups in one push
    Given Okta group "blue" with members "lena, mike"
    And Okta group "green" with members "nora"
    And "blue" is pushed to the app
    And "green" is pushed to the app
    When Okta moves "mike" from group "blue" to group "green"
    Then group "blue" in the app has members "lena"
    And group "green" in the app has members "mike, nora"

  Scenario: Membership pushed again after a username change keeps one member
    Given Okta group "renamed-users" with members "lena, mike"
    And "renamed-users" is pushed to the app
    When Okta changes the username of "lena"
    And Okta adds "lena" to group "renamed-users"
    And Okta pushes group "renamed-users" now
    Then group "renamed-users" in the app has members "lena, mike"

  Scenario: A member whose user the app deleted is not kept as an unknown id
    Given Okta group "stale" with members "lena"
    And "stale" is pushed to the app
    And the app deleted its user for "mike"
    When Okta adds "mike", whom the app deleted, to group "stale"
    Then group "stale" in the app lists only users the app has

  Scenario: Unlinking with delete removes the app group
    Given Okta group "temp" with members "mike"
    And "temp" is pushed to the app
    When Okta unlinks group "temp" and deletes the app group
    Then group "temp" is gone from the app

  Scenario: Unlinking with leave sends nothing and keeps the app group
    Given Okta group "keep" with members "mike"
    And "keep" is pushed to the app
    When Okta unlinks group "keep" and leaves the app group
    Then Okta sent nothing
    And group "keep" is still in the app
