// Package expr is the DynamoDB expression language of the emulator: a
// lexer, a recursive-descent parser producing an AST, the checks DynamoDB
// makes before it runs an expression, and evaluation.
//
// Covered:
//   - condition and filter expressions: = <> < <= > >=, BETWEEN … AND …,
//     IN (…), AND, OR, NOT with the documented precedence
//     (NOT binds tighter than AND, AND tighter than OR), parentheses,
//     and the functions attribute_exists, attribute_not_exists,
//     attribute_type, begins_with, contains and size;
//   - key condition expressions, with their stricter rules (AND only;
//     =, <, <=, >, >=, BETWEEN, begins_with; one condition per top-level
//     key attribute) and KeyCondition.Bind for the schema-dependent rules;
//   - update expressions: SET (with + and -, if_not_exists, list_append),
//     REMOVE, ADD and DELETE, each clause at most once, no two paths
//     overlapping or conflicting;
//   - projection expressions;
//   - document paths (a.b[2].c) with #name and :value placeholders from
//     ExpressionAttributeNames and ExpressionAttributeValues, the
//     published reserved words, and unused placeholders (Params.Unused);
//   - Eval, Apply (pure: returns a new item) and Project.
//
// Parsing goes through Params, which holds one request's placeholder
// maps. Every error is an *Error whose text is DynamoDB's, including the
// "Invalid <Parameter>: " prefix where DynamoDB gives one, so the
// protocol layer can return it as a ValidationException unchanged. When
// several problems are present, DynamoDB reports one; the order in which
// this package picks it (syntax first, then placeholders, functions,
// paths and operand types) follows DynamoDB's where it is known.
//
// Not covered, on purpose: PartiQL (ExecuteStatement and friends); the
// legacy non-expression parameters (Expected, AttributeUpdates,
// KeyConditions, QueryFilter, ScanFilter, AttributesToGet); and rules
// that need the table, such as refusing updates of key attributes,
// checking key types against the schema beyond Bind, index key types,
// and the 400 KB item limit after an update, which the caller checks
// with attr.Item.Size.
package expr
