@saml @attack @rfc-must
Feature: The SP attack catalogue
  Every response below is refused by a correct SP (okta-saml §3). Each is crafted so that a
  vulnerable SP would sign in the victim; the report says who got signed in. Signature
  wrapping (XSW1–8) follows SAML Raider's numbering; SHA-1 is graded by --sha1-policy.

  Background:
    Given Okta user "victim" in groups "Admins"
    And Okta user "mallory" in groups "Everyone"

  Scenario Outline: <case> does not sign in the victim
    When the attacker tries "<case>" to become "victim"

    Examples:
      | case                         |
      | xsw1                         |
      | xsw2                         |
      | xsw3                         |
      | xsw4                         |
      | xsw5                         |
      | xsw6                         |
      | xsw7                         |
      | xsw8                         |
      | signature-stripped           |
      | wrong-certificate            |
      | tampered-after-signing       |
      | comment-injection            |
      | expired                      |
      | not-yet-valid                |
      | subject-confirmation-expired |
      | wrong-audience               |
      | no-audience                  |
      | wrong-destination            |
      | wrong-recipient              |
      | wrong-issuer                 |
      | in-response-to-mismatch      |
      | two-assertions               |
      | non-success-status           |
      | doctype                      |
      | sha1                         |
