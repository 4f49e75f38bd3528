@discovery @users @rfc-must
Feature: Import User Schema: what the app declares, and whether it behaves so
  Okta's Import User Schema reads /ResourceTypes and /Schemas: core attributes from the core User
  schema, extension attributes from the User resource type's schemaExtensions
  (okta-attributes-entitlements-oauth §1). okta-sim then tries every declared attribute the way
  Okta would send it once mapped: create with it, read it back, update it, read it back, as its
  mutability and `returned` say (RFC 7643 §7).

  Scenario: The app's /ResourceTypes and /Schemas are valid RFC 7643 documents
    When Okta imports the app's user schema

  Scenario: Every attribute the app declares behaves as declared
    When Okta imports the app's user schema
    Then every attribute the app declares behaves as declared
