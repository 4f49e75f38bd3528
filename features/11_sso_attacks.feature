@saml @attack @rfc-must
Feature: The SP attack catalogue
  Every response below is refused by a correct SP (okta-saml §3). Each is crafted so that a
  vulnerable SP would sign in the victim; the report says who got signed in. Every document is
  valid against the SAML 2.0 schemas (but no-assertion-id, whose point is what they forbid), so
  a schema check alone defeats none of them. Signature wrapping (XSW1–8) follows SAML Raider's
  numbering; SHA-1 is graded by --sha1-policy.

  Background:
    Given Okta user "victim" in groups "Admins"
    And Okta user "mallory" in groups "Everyone"

  Scenario Outline: <case> does not sign in the victim
    When the attacker tries "<case>" to become "victim"

    Examples:
      | case                               |
      | xsw1                               |
      | xsw2                               |
      | xsw-response-in-keyinfo            |
      | xsw3                               |
      | xsw-evil-after                     |
      | xsw4                               |
      | xsw5                               |
      | xsw6                               |
      | xsw7                               |
      | xsw8                               |
      | two-assertions                     |
      | two-assertions-expired             |
      | signature-stripped                 |
      | wrong-certificate                  |
      | tampered-after-signing             |
      | comment-injection                  |
      | name-id-whitespace                 |
      | sha1                               |
      | expired                            |
      | not-yet-valid                      |
      | subject-confirmation-expired       |
      | subject-confirmation-not-yet-valid |
      | wrong-audience                     |
      | no-audience                        |
      | second-audience-restriction        |
      | audience-whitespace                |
      | wrong-destination                  |
      | destination-whitespace             |
      | no-destination                     |
      | wrong-recipient                    |
      | no-recipient                       |
      | no-bearer-confirmation             |
      | no-authn-statement                 |
      | empty-name-id                      |
      | no-assertion-id                    |
      | wrong-issuer                       |
      | issuer-whitespace                  |
      | in-response-to-mismatch            |
      | non-success-status                 |
      | doctype                            |

  @sp-initiated
  Scenario Outline: <case>, answering the SP's own request, does not sign in the victim
    When the attacker tries "<case>" to become "victim"

    Examples:
      | case                               |
      | in-response-to-unsigned-only       |
