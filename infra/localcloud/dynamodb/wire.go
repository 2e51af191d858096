package dynamodb

import (
	"encoding/json"

	"github.com/eventchain/eventchain/infra/localcloud/dynamodb/attr"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

// maxRequestBytes bounds a request body: a BatchWriteItem or
// TransactWriteItems may carry 25 or 100 items of 400 KB, and DynamoDB
// JSON and base64 make the wire form larger.
const maxRequestBytes = 64 << 20

// api declares DynamoDB on the wire: AWS JSON 1.0 under the target
// prefix of its 2012-08-10 API.
func (s *Service) api() *awsproto.Service {
	return &awsproto.Service{
		Name: "dynamodb",
		Protocols: []awsproto.Protocol{awsproto.JSON10{
			TargetPrefix: "DynamoDB_20120810", ErrorNamespace: "com.amazonaws.dynamodb.v20120810", BodyCRC32: true}},
		MaxBody:  maxRequestBytes,
		Counters: &s.counters,
		Ops: []awsproto.Operation{
			awsproto.Op("CreateTable", s.createTable),
			awsproto.Op("DescribeTable", s.describeTable),
			awsproto.Op("ListTables", s.listTables),
			awsproto.Op("DeleteTable", s.deleteTable),
			awsproto.Op("UpdateTable", s.updateTable),
			awsproto.Op("UpdateTimeToLive", s.updateTimeToLive),
			awsproto.Op("DescribeTimeToLive", s.describeTimeToLive),
			awsproto.Op("TagResource", s.tagResource),
			awsproto.Op("UntagResource", s.untagResource),
			awsproto.Op("ListTagsOfResource", s.listTagsOfResource),
			awsproto.Op("PutItem", s.putItem),
			awsproto.Op("GetItem", s.getItem),
			awsproto.Op("UpdateItem", s.updateItem),
			awsproto.Op("DeleteItem", s.deleteItem),
			awsproto.Op("BatchGetItem", s.batchGetItem),
			awsproto.Op("BatchWriteItem", s.batchWriteItem),
			awsproto.Op("TransactWriteItems", s.transactWriteItems),
			awsproto.Op("TransactGetItems", s.transactGetItems),
			awsproto.Op("Query", s.query),
			awsproto.Op("Scan", s.scan),
		},
	}
}

// Inputs and outputs, as AWS JSON 1.0 carries them; member names are the
// model's. Items, keys and expression values stay raw until the operation
// decodes them (decode.go), so that a malformed attribute value gets
// DynamoDB's ValidationException rather than a serialization error.

type rawItem = json.RawMessage

type keySchemaElement struct {
	AttributeName string `json:"AttributeName"`
	KeyType       string `json:"KeyType"`
}

type attributeDefinition struct {
	AttributeName string `json:"AttributeName"`
	AttributeType string `json:"AttributeType"`
}

type provisionedThroughput struct {
	ReadCapacityUnits  *int64 `json:"ReadCapacityUnits,omitempty"`
	WriteCapacityUnits *int64 `json:"WriteCapacityUnits,omitempty"`
}

type projection struct {
	ProjectionType   string   `json:"ProjectionType,omitempty"`
	NonKeyAttributes []string `json:"NonKeyAttributes,omitempty"`
}

type secondaryIndex struct {
	IndexName             string                 `json:"IndexName"`
	KeySchema             []keySchemaElement     `json:"KeySchema"`
	Projection            *projection            `json:"Projection,omitempty"`
	ProvisionedThroughput *provisionedThroughput `json:"ProvisionedThroughput,omitempty"`
}

type tag struct {
	Key   string `json:"Key"`
	Value string `json:"Value"`
}

type createTableInput struct {
	TableName              string                 `json:"TableName"`
	KeySchema              []keySchemaElement     `json:"KeySchema"`
	AttributeDefinitions   []attributeDefinition  `json:"AttributeDefinitions"`
	GlobalSecondaryIndexes []secondaryIndex       `json:"GlobalSecondaryIndexes"`
	LocalSecondaryIndexes  []secondaryIndex       `json:"LocalSecondaryIndexes"`
	BillingMode            string                 `json:"BillingMode"`
	ProvisionedThroughput  *provisionedThroughput `json:"ProvisionedThroughput"`
	Tags                   []tag                  `json:"Tags"`
}

type tableOutput struct {
	TableDescription *tableDescription `json:"TableDescription,omitempty"`
}

type describeTableOutput struct {
	Table *tableDescription `json:"Table"`
}

type tableNameInput struct {
	TableName string `json:"TableName"`
}

type billingModeSummary struct {
	BillingMode string `json:"BillingMode"`
}

type throughputDescription struct {
	ReadCapacityUnits      int64 `json:"ReadCapacityUnits"`
	WriteCapacityUnits     int64 `json:"WriteCapacityUnits"`
	NumberOfDecreasesToday int64 `json:"NumberOfDecreasesToday"`
}

type indexDescription struct {
	IndexName             string                 `json:"IndexName"`
	IndexArn              string                 `json:"IndexArn"`
	KeySchema             []keySchemaElement     `json:"KeySchema"`
	Projection            projection             `json:"Projection"`
	IndexStatus           string                 `json:"IndexStatus,omitempty"`
	ItemCount             int64                  `json:"ItemCount"`
	IndexSizeBytes        int64                  `json:"IndexSizeBytes"`
	ProvisionedThroughput *throughputDescription `json:"ProvisionedThroughput,omitempty"`
}

type tableDescription struct {
	TableName              string                `json:"TableName"`
	TableArn               string                `json:"TableArn"`
	TableId                string                `json:"TableId"` //nolint:revive // the model's name
	TableStatus            string                `json:"TableStatus"`
	CreationDateTime       float64               `json:"CreationDateTime"`
	KeySchema              []keySchemaElement    `json:"KeySchema"`
	AttributeDefinitions   []attributeDefinition `json:"AttributeDefinitions"`
	ItemCount              int64                 `json:"ItemCount"`
	TableSizeBytes         int64                 `json:"TableSizeBytes"`
	BillingModeSummary     *billingModeSummary   `json:"BillingModeSummary,omitempty"`
	ProvisionedThroughput  throughputDescription `json:"ProvisionedThroughput"`
	GlobalSecondaryIndexes []indexDescription    `json:"GlobalSecondaryIndexes,omitempty"`
	LocalSecondaryIndexes  []indexDescription    `json:"LocalSecondaryIndexes,omitempty"`
	DeletionProtection     bool                  `json:"DeletionProtectionEnabled"`
}

type listTablesInput struct {
	ExclusiveStartTableName *string `json:"ExclusiveStartTableName"`
	Limit                   *int    `json:"Limit"`
}

type listTablesOutput struct {
	TableNames             []string `json:"TableNames"`
	LastEvaluatedTableName string   `json:"LastEvaluatedTableName,omitempty"`
}

type gsiUpdate struct {
	Create *secondaryIndex `json:"Create"`
	Delete *struct {
		IndexName string `json:"IndexName"`
	} `json:"Delete"`
	Update *struct {
		IndexName string `json:"IndexName"`
	} `json:"Update"`
}

type updateTableInput struct {
	TableName                   string                 `json:"TableName"`
	AttributeDefinitions        []attributeDefinition  `json:"AttributeDefinitions"`
	GlobalSecondaryIndexUpdates []gsiUpdate            `json:"GlobalSecondaryIndexUpdates"`
	BillingMode                 string                 `json:"BillingMode"`
	ProvisionedThroughput       *provisionedThroughput `json:"ProvisionedThroughput"`
}

type ttlSpecification struct {
	AttributeName string `json:"AttributeName"`
	Enabled       bool   `json:"Enabled"`
}

type updateTTLInput struct {
	TableName               string            `json:"TableName"`
	TimeToLiveSpecification *ttlSpecification `json:"TimeToLiveSpecification"`
}

type updateTTLOutput struct {
	TimeToLiveSpecification ttlSpecification `json:"TimeToLiveSpecification"`
}

type ttlDescription struct {
	TimeToLiveStatus string `json:"TimeToLiveStatus"`
	AttributeName    string `json:"AttributeName,omitempty"`
}

type describeTTLOutput struct {
	TimeToLiveDescription ttlDescription `json:"TimeToLiveDescription"`
}

type tagResourceInput struct {
	ResourceArn string   `json:"ResourceArn"`
	Tags        []tag    `json:"Tags"`
	TagKeys     []string `json:"TagKeys"`
	NextToken   *string  `json:"NextToken"`
}

type listTagsOutput struct {
	Tags []tag `json:"Tags"`
}

// exprInput is what every item operation may carry for its expressions,
// and the legacy parameters expressions replaced, which are refused
// rather than ignored: ignoring Expected would drop a condition.
type exprInput struct {
	ExpressionAttributeNames  map[string]string `json:"ExpressionAttributeNames"`
	ExpressionAttributeValues rawItem           `json:"ExpressionAttributeValues"`

	Expected            rawItem `json:"Expected"`
	AttributeUpdates    rawItem `json:"AttributeUpdates"`
	AttributesToGet     rawItem `json:"AttributesToGet"`
	KeyConditions       rawItem `json:"KeyConditions"`
	QueryFilter         rawItem `json:"QueryFilter"`
	ScanFilter          rawItem `json:"ScanFilter"`
	ConditionalOperator rawItem `json:"ConditionalOperator"`
}

type putItemInput struct {
	TableName                           string  `json:"TableName"`
	Item                                rawItem `json:"Item"`
	ConditionExpression                 *string `json:"ConditionExpression"`
	ReturnValues                        string  `json:"ReturnValues"`
	ReturnValuesOnConditionCheckFailure string  `json:"ReturnValuesOnConditionCheckFailure"`
	exprInput
}

type getItemInput struct {
	TableName            string  `json:"TableName"`
	Key                  rawItem `json:"Key"`
	ConsistentRead       bool    `json:"ConsistentRead"`
	ProjectionExpression *string `json:"ProjectionExpression"`
	exprInput
}

type updateItemInput struct {
	TableName                           string  `json:"TableName"`
	Key                                 rawItem `json:"Key"`
	UpdateExpression                    *string `json:"UpdateExpression"`
	ConditionExpression                 *string `json:"ConditionExpression"`
	ReturnValues                        string  `json:"ReturnValues"`
	ReturnValuesOnConditionCheckFailure string  `json:"ReturnValuesOnConditionCheckFailure"`
	exprInput
}

type deleteItemInput struct {
	TableName                           string  `json:"TableName"`
	Key                                 rawItem `json:"Key"`
	ConditionExpression                 *string `json:"ConditionExpression"`
	ReturnValues                        string  `json:"ReturnValues"`
	ReturnValuesOnConditionCheckFailure string  `json:"ReturnValuesOnConditionCheckFailure"`
	exprInput
}

// itemOutput is the answer of the single-item operations: Attributes
// for writes, Item for GetItem.
type itemOutput struct {
	Attributes attr.Item `json:"Attributes,omitempty"`
	Item       attr.Item `json:"Item,omitempty"`
}

type keysAndAttributes struct {
	Keys                     []rawItem         `json:"Keys"`
	ProjectionExpression     *string           `json:"ProjectionExpression"`
	ConsistentRead           bool              `json:"ConsistentRead"`
	ExpressionAttributeNames map[string]string `json:"ExpressionAttributeNames"`
}

type batchGetInput struct {
	RequestItems map[string]keysAndAttributes `json:"RequestItems"`
}

type batchGetOutput struct {
	Responses       map[string][]attr.Item       `json:"Responses"`
	UnprocessedKeys map[string]keysAndAttributes `json:"UnprocessedKeys"`
}

type writeRequest struct {
	PutRequest *struct {
		Item rawItem `json:"Item"`
	} `json:"PutRequest,omitempty"`
	DeleteRequest *struct {
		Key rawItem `json:"Key"`
	} `json:"DeleteRequest,omitempty"`
}

type batchWriteInput struct {
	RequestItems map[string][]writeRequest `json:"RequestItems"`
}

type batchWriteOutput struct {
	UnprocessedItems map[string][]writeRequest `json:"UnprocessedItems"`
}

type transactPut struct {
	TableName                           string  `json:"TableName"`
	Item                                rawItem `json:"Item"`
	ConditionExpression                 *string `json:"ConditionExpression"`
	ReturnValuesOnConditionCheckFailure string  `json:"ReturnValuesOnConditionCheckFailure"`
	exprInput
}

type transactKeyed struct {
	TableName                           string  `json:"TableName"`
	Key                                 rawItem `json:"Key"`
	ConditionExpression                 *string `json:"ConditionExpression"`
	UpdateExpression                    *string `json:"UpdateExpression"`
	ReturnValuesOnConditionCheckFailure string  `json:"ReturnValuesOnConditionCheckFailure"`
	exprInput
}

type transactWriteItem struct {
	Put            *transactPut   `json:"Put"`
	Update         *transactKeyed `json:"Update"`
	Delete         *transactKeyed `json:"Delete"`
	ConditionCheck *transactKeyed `json:"ConditionCheck"`
}

type transactWriteInput struct {
	TransactItems      []transactWriteItem `json:"TransactItems"`
	ClientRequestToken *string             `json:"ClientRequestToken"`
}

type transactGetItem struct {
	Get *struct {
		TableName            string  `json:"TableName"`
		Key                  rawItem `json:"Key"`
		ProjectionExpression *string `json:"ProjectionExpression"`
		exprInput
	} `json:"Get"`
}

type transactGetInput struct {
	TransactItems []transactGetItem `json:"TransactItems"`
}

type itemResponse struct {
	Item attr.Item `json:"Item,omitempty"`
}

type transactGetOutput struct {
	Responses []itemResponse `json:"Responses"`
}

type queryInput struct {
	TableName              string  `json:"TableName"`
	IndexName              *string `json:"IndexName"`
	KeyConditionExpression *string `json:"KeyConditionExpression"`
	FilterExpression       *string `json:"FilterExpression"`
	ProjectionExpression   *string `json:"ProjectionExpression"`
	Select                 string  `json:"Select"`
	ScanIndexForward       *bool   `json:"ScanIndexForward"`
	Limit                  *int    `json:"Limit"`
	ConsistentRead         bool    `json:"ConsistentRead"`
	ExclusiveStartKey      rawItem `json:"ExclusiveStartKey"`
	Segment                *int    `json:"Segment"`
	TotalSegments          *int    `json:"TotalSegments"`
	exprInput
}

type queryOutput struct {
	Items            []attr.Item `json:"Items"`
	Count            int         `json:"Count"`
	ScannedCount     int         `json:"ScannedCount"`
	LastEvaluatedKey attr.Item   `json:"LastEvaluatedKey,omitempty"`
}
