@entitlements @okta-required
Feature: SCIM with entitlements: roles and entitlements the app publishes
  Okta Identity Governance reads /ResourceTypes, /Schemas for extensions it does not know, then
  every value of every resource type whose schema is Okta's Role or Entitlement, paged; its
  Entitlements test asks for one value per page; grants go in the user's roles and entitlements
  with GET + PUT (okta-attributes-entitlements-oauth §2). An app that publishes no such resource
  type gets these scenarios reported skipped.

  Scenario: Okta discovers every role and entitlement the app publishes
    When Okta discovers the app's entitlements
    Then every published value was discovered once

  Scenario: Okta's Entitlements test reads one value per page
    Given Okta discovered the app's entitlements
    When Okta runs its Entitlements test

  Scenario: A role and an entitlement granted by Okta are stored on the user
    Given Okta discovered the app's entitlements
    And "lea" is assigned to the app
    When Okta grants "lea" a value of every discovered type
    Then the app shows the grants of "lea"
    And importing users brings back the grants of "lea"

  Scenario: A required, single-valued entitlement
    Given Okta discovered the app's entitlements
    And every discovered type is required and single-valued
    Then "max" cannot be assigned without a grant
