@attributes @users @okta-required
Feature: Custom and extension attributes, group-assigned values
  Okta sends the whole app profile: core-namespace attributes top level (with the
  `emails.^[primary==true].value` selector form), enterprise and custom namespaces under their
  URN, nulls and empty containers left out (okta-attributes-entitlements-oauth §1). A group
  assigned to the app gives its members values for group-assignable attributes; the group with
  the highest priority (0 is the top) wins, a To-App mapping overrides all (§4).
  These scenarios map the reference app's own extension; an app that does not declare it gets
  them reported skipped.

  Background:
    Given the app declares the User extension "urn:ietf:params:scim:schemas:extension:oktasim:2.0:User"
    And the app user schema has the attributes:
      | variable     | type         | external name  | namespace                                                   | scope    | mapping           |
      | department   | string       | department     | enterprise                                                  | personal | user.department   |
      | employeeId   | string       | employeeNumber | enterprise                                                  | personal | user.employeeId   |
      | manager      | string       | manager.value  | enterprise                                                  | personal | user.managerId    |
      | role         | string       | role           | urn:ietf:params:scim:schemas:extension:oktasim:2.0:User | group    |                   |
      | isContractor | boolean      | isContractor   | urn:ietf:params:scim:schemas:extension:oktasim:2.0:User | personal | user.isContractor |
      | seniority    | integer      | seniority      | urn:ietf:params:scim:schemas:extension:oktasim:2.0:User | personal | user.seniority    |
      | skills       | string array | skills         | urn:ietf:params:scim:schemas:extension:oktasim:2.0:User | group    |                   |
      | costCode     | string       | costCode       |                                                             | personal | user.costCode     |

  Scenario: A created user carries enterprise and custom attributes where Okta puts them
    Given Okta user "ada" has the profile:
      | attribute    | value    |
      | department   | Research |
      | employeeId   | E-1042   |
      | managerId    | m-7      |
      | isContractor | true     |
      | seniority    | 12       |
      | costCode     | CC-9     |
    When "ada" is assigned to the app with:
      | attribute | value           |
      | role      | admin           |
      | skills    | rust, scim      |
    Then Okta's last request carried:
      """
      {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Research", "employeeNumber": "E-1042", "manager": {"value": "m-7"}},
       "urn:ietf:params:scim:schemas:extension:oktasim:2.0:User": {"role": "admin", "isContractor": true, "seniority": 12, "skills": ["rust", "scim"]}}
      """
    And Okta's last request did not carry "costCode"
    And the app shows "ada" with:
      """
      {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Research", "employeeNumber": "E-1042", "manager": {"value": "m-7"}},
       "urn:ietf:params:scim:schemas:extension:oktasim:2.0:User": {"role": "admin", "isContractor": true, "seniority": 12, "skills": ["rust", "scim"]}}
      """

  Scenario: A null attribute and an empty container are left out of the body
    Given Okta user "bea" has the profile:
      | attribute  | value |
      | seniority  | 3     |
    When "bea" is assigned to the app with:
      | attribute | value |
      | role      | member |
    Then Okta's last request did not carry "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    And the app shows "bea" with:
      """
      {"urn:ietf:params:scim:schemas:extension:oktasim:2.0:User": {"role": "member", "seniority": 3}}
      """

  Scenario: A profile update that changes only a custom attribute sends the whole app profile
    Given Okta user "cal" has the profile:
      | attribute  | value |
      | department | Sales |
      | seniority  | 1     |
    And "cal" is assigned to the app with:
      | attribute | value  |
      | role      | viewer |
    When Okta pushes a profile update for "cal" that sets "seniority" to "2"
    Then Okta's last request carried:
      """
      {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Sales"},
       "urn:ietf:params:scim:schemas:extension:oktasim:2.0:User": {"role": "viewer", "seniority": 2}}
      """
    And the app shows "cal" with:
      """
      {"urn:ietf:params:scim:schemas:extension:oktasim:2.0:User": {"seniority": 2}}
      """

  Scenario: Okta's PUT echoes the extension data the app owns and Okta does not
    Given Okta user "dan" has the profile:
      | attribute  | value |
      | seniority  | 5     |
    And "dan" is assigned to the app with:
      | attribute | value  |
      | role      | member |
    When the app itself sets "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:costCenter" of "dan" to "CC-4711"
    And Okta pushes a profile update for "dan" that sets "seniority" to "6"
    Then the app still shows "dan" with:
      """
      {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"costCenter": "CC-4711"},
       "urn:ietf:params:scim:schemas:extension:oktasim:2.0:User": {"seniority": 6}}
      """

  Scenario: A value Okta maps to an attribute the app declares readOnly is ignored
    Given the app user schema has the attributes:
      | variable | type   | external name | namespace                                                   | scope    | mapping      |
      | badge    | string | badgeId       | urn:ietf:params:scim:schemas:extension:oktasim:2.0:User | personal | user.badge   |
    And Okta user "eve" has the profile:
      | attribute | value   |
      | badge     | B-0001  |
    When "eve" is assigned to the app with:
      | attribute | value |
    Then the app did not store the readOnly "urn:ietf:params:scim:schemas:extension:oktasim:2.0:User:badgeId" Okta sent for "eve"

  Scenario: A change of an attribute the app declares immutable is refused and the value kept
    Given the app user schema has the attributes:
      | variable  | type   | external name | namespace                                                   | scope    | mapping        |
      | startDate | string | startDate     | urn:ietf:params:scim:schemas:extension:oktasim:2.0:User | personal | user.startDate |
    And Okta user "fay" has the profile:
      | attribute | value                |
      | startDate | 2024-03-01T00:00:00Z |
    And "fay" is assigned to the app
    When Okta pushes a change of "startDate" for "fay" to "2025-03-01T00:00:00Z", which the app must refuse
    Then the immutable value of "fay" is unchanged:
      """
      {"urn:ietf:params:scim:schemas:extension:oktasim:2.0:User": {"startDate": "2024-03-01T00:00:00Z"}}
      """

  Scenario: A user in two assigned groups gets the role of the group with the higher priority
    Given Okta group "eng" with members "gus"
    And Okta group "sales" with members "gus"
    And group "sales" is assigned to the app with priority 1 and:
      | attribute | value       |
      | role      | viewer      |
      | skills    | negotiation |
    When group "eng" is assigned to the app with priority 0 and:
      | attribute | value |
      | role      | admin |
      | skills    | rust  |
    Then Okta's last request carried:
      """
      {"urn:ietf:params:scim:schemas:extension:oktasim:2.0:User": {"role": "admin", "skills": ["rust"]}}
      """
    And the app shows "gus" with:
      """
      {"urn:ietf:params:scim:schemas:extension:oktasim:2.0:User": {"role": "admin"}}
      """

  Scenario: A change of priority pushes the new top group's role
    Given Okta group "eng" with members "hal"
    And Okta group "sales" with members "hal"
    And group "eng" is assigned to the app with priority 0 and:
      | attribute | value |
      | role      | admin |
    And group "sales" is assigned to the app with priority 1 and:
      | attribute | value  |
      | role      | viewer |
    When group "sales" gets priority 0
    Then the app shows "hal" with:
      """
      {"urn:ietf:params:scim:schemas:extension:oktasim:2.0:User": {"role": "viewer"}}
      """

  Scenario: Leaving the top group falls back to the next group's role; leaving the last unassigns
    Given Okta group "eng" with members "ida"
    And Okta group "sales" with members "ida"
    And group "eng" is assigned to the app with priority 0 and:
      | attribute | value |
      | role      | admin |
    And group "sales" is assigned to the app with priority 1 and:
      | attribute | value  |
      | role      | viewer |
    When "ida" leaves group "eng" in Okta
    Then the app shows "ida" with:
      """
      {"active": true, "urn:ietf:params:scim:schemas:extension:oktasim:2.0:User": {"role": "viewer"}}
      """
    When "ida" leaves group "sales" in Okta
    Then "ida" is inactive in the app

  Scenario: Combined array values across groups
    Given the app user schema has the attributes:
      | variable | type         | external name | namespace                                                   | scope | mapping | arrays  |
      | skills   | string array | skills        | urn:ietf:params:scim:schemas:extension:oktasim:2.0:User | group |         | combine |
    And Okta group "eng" with members "jo"
    And Okta group "ops" with members "jo"
    And group "eng" is assigned to the app with priority 0 and:
      | attribute | value     |
      | skills    | rust, go  |
    When group "ops" is assigned to the app with priority 1 and:
      | attribute | value          |
      | skills    | go, terraform  |
    Then the app shows "jo" with:
      """
      {"urn:ietf:params:scim:schemas:extension:oktasim:2.0:User": {"skills": ["rust", "go", "terraform"]}}
      """

  @oin
  Scenario: With PATCH for profile updates, the whole app profile goes in one path-less replace
    Given Okta pushes profile changes with PATCH
    And Okta user "kim" has the profile:
      | attribute  | value |
      | department | Legal |
    And "kim" is assigned to the app with:
      | attribute | value  |
      | role      | member |
    When Okta pushes a profile update for "kim" that sets "department" to "Finance"
    Then Okta's last request carried:
      """
      {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Finance"},
       "urn:ietf:params:scim:schemas:extension:oktasim:2.0:User": {"role": "member"}}
      """
    And the app shows "kim" with:
      """
      {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Finance"}}
      """
