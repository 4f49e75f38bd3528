@spec @users @okta-required
Feature: Okta's SCIM 2.0 SPEC test
  The test Okta requires before an OIN submission (okta-scim-wire §10.1): list, read, filter,
  create, duplicate 409, userName case, Groups, 401 and 404, with the test's own headers
  (User-Agent "OKTA SCIM Integration", POSTs as application/json). It needs one user to exist.

  Scenario: Every required step of the SPEC test passes
    Given Okta user "seed"
    And "seed" is assigned to the app
    When Okta runs its SCIM 2.0 SPEC test
