@credentials @users @okta-required
Feature: Test API Credentials
  When an admin saves the provisioning settings, Okta probes the app (okta-scim-wire §1):
  GET /Users?startIndex=1&count=2, then GET /Groups?startIndex=1&count=100 when group
  features are on. Anything but a complete ListResponse shows "No results for users returned".

  Scenario: The credentials probe gets complete list responses
    When Okta tests the API credentials

  @auth
  Scenario: A wrong token is refused with 401 and a SCIM error
    When Okta tests the API credentials with a wrong token
