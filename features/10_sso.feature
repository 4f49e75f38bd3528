@saml @sso
Feature: Single sign-on with Okta
  Okta signs a Response and its Assertion with RSA-SHA256 and posts them to the ACS, from the
  Okta dashboard (IdP-initiated, no InResponseTo) or in answer to the app's AuthnRequest
  (SP-initiated). The app signs in the NameID, maps the attribute statements, and with JIT on
  creates or updates the user (okta-saml §1; the vendor guides in seeds 000, 001, 003).

  @okta-required
  Scenario: Signing in from the Okta dashboard
    Given Okta user "ada" in groups "Engineering, Everyone"
    When "ada" signs in from the Okta dashboard

  @okta-required @sp-initiated
  Scenario: Signing in from the app
    Given Okta user "grace" in groups "Everyone"
    When "grace" signs in from the app

  @okta-required @whoami
  Scenario: Attribute statements map onto the app's profile
    Given Okta user "alan" in groups "Engineering, Research, Everyone"
    When "alan" signs in from the Okta dashboard
    Then the app knows "alan" by email, full name and groups

  @okta-required @jit
  Scenario: The first sign-in provisions the user just in time
    Given Okta user "edsger" in groups "Everyone"
    When "edsger" signs in from the Okta dashboard
    Then the app has a user for "edsger" with the name from Okta

  @okta-required @jit
  Scenario: A later sign-in updates the user just in time
    Given Okta user "barbara" in groups "Everyone"
    And "barbara" signed in from the Okta dashboard
    When "barbara" signs in again with a new last name
    Then the app has a user for "barbara" with the name from Okta

  @rfc-must
  Scenario: The same response posted twice signs in once
    Given Okta user "donald" in groups "Everyone"
    When "donald"'s response is posted twice

  @rfc-must @sp-initiated
  Scenario: One sign-in request is answered once
    Given Okta user "frances" in groups "Everyone"
    When "frances" answers one sign-in request twice
