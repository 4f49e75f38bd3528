@vendor @atomation
Feature: Atomation (guide 000): the flows of the "Okta SSO & SCIM Setup Guide"
  Run with `okta-sim check --profile atomation [--tenant SUBDOMAIN]`: the simulated Okta is the
  Atomation OIN app for the tenant subdomain (ACS https://TENANT.atomation.io/auth/saml/acs,
  Audience https://TENANT.atomation.io/saml/metadata, SHA-256 signed assertions), with Create
  Users, Update User Attributes, Deactivate Users and Group Push on and renaming off; each
  scenario is one thing the guide promises Atomation's customers.

  Scenario: "Click Test API Credentials. It should report success."
    When Okta tests the API credentials

  @saml @whoami
  Scenario: "When prompted for the per-tenant value, enter your Atomation tenant subdomain": Okta signs for the tenant's URLs
    Given "ten" is assigned to the app
    When "ten" signs in from the Okta dashboard, as the guide's promise "saml.acs_path" says
    Then the app knows "ten" by email, full name and groups

  @saml @whoami
  Scenario: "SP-initiated SSO - sign-in started from the Atomation workspace."
    Given "sp" is assigned to the app
    When "sp" signs in from the app
    Then the app knows "sp" by email, full name and groups

  Scenario: "Create Users", "Update User Attributes", "Deactivate Users"
    Given "cu" is assigned to the app
    When Okta pushes a profile update for "cu"
    Then the app shows the profile update of "cu"
    When Okta deactivates "cu"
    Then "cu" is inactive in the app

  Scenario: "Click Refresh App Groups to import Atomation's published role-groups"
    When Okta refreshes the app groups
    Then the app keeps its guide's promise "groups.role_groups"

  Scenario: "choose Link Group and select the Atomation role-group (for example Admin)": the linked role is granted
    Given "ada" is assigned to the app
    And Okta group "Platform Admins" with members "ada"
    When Okta refreshes the app groups
    And Okta links group "Platform Admins" to the app group "Admin"
    Then "ada" holds the role "Admin" in the app, as the guide's promise "groups.role_groups" says
    And group "Platform Admins" in the app is named "Admin"

  Scenario: "removing a user re-computes their role (falling back to User when they belong to no linked role-group)"
    Given "bo" is assigned to the app
    And Okta group "Security" with members "bo"
    And Okta group "Builders" with members "bo"
    When Okta refreshes the app groups
    And Okta links group "Security" to the app group "Security Admin"
    And Okta links group "Builders" to the app group "Developer"
    Then "bo" holds the role "Security Admin" in the app, as the guide's promise "groups.role_groups" says
    When Okta removes "bo" from group "Security"
    Then "bo" holds the role "Developer" in the app, as the guide's promise "groups.role_groups" says
    When Okta removes "bo" from group "Builders"
    Then "bo" holds the role "User" in the app, as the guide's promise "groups.default_role" says

  @saml @whoami
  Scenario: "If a user is assigned before Okta provisions them, their first sign-in can fail. To recover, remove the app assignment, wait for provisioning to complete, then add the assignment again."
    Given Okta user "early"
    And "early" was assigned to the app before provisioning was enabled
    When "early" signs in from the Okta dashboard before Okta provisioned the user
    And the admin removes the assignment of "early", waits for provisioning, and assigns "early" again
    And "early" signs in from the Okta dashboard, as the guide's promise "app.jit" says
