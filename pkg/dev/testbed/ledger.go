package testbed

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// DynamoDB returns a DynamoDB SDK client pointed at moto.
func (m *Moto) DynamoDB(ctx context.Context) (*dynamodb.Client, error) {
	cfg, err := m.sdkConfig(ctx, "testing", "testing", "")
	if err != nil {
		return nil, err
	}
	return dynamodb.NewFromConfig(cfg), nil
}

// LedgerTable is the name the functions see for the template's
// CoverageTable under localinvoke (a Ref to a resource yields its logical
// ID); Lazy.Get creates it, as the deployed stack would.
const LedgerTable = "CoverageTable"

// SignInDeadLetters is the name the sweep sees for the template's
// SignInDeadLetterQueue under localinvoke, as a queue URL: SQS takes a
// queue's name there too.
const SignInDeadLetters = "SignInDeadLetterQueue"

// StackResources creates what the functions find by name in the deployed
// stack: the coverage ledger and the sign-in dead-letter queue.
func (m *Moto) StackResources(ctx context.Context) error {
	if err := m.CoverageTable(ctx, LedgerTable); err != nil {
		return err
	}
	_, err := m.Queue(ctx, SignInDeadLetters)
	return err
}

// CoverageTable creates the coverage ledger as template.yaml declares it
// (CoverageTable): on demand, key poolId + userSub, TTL on expiresAt. A
// table that exists already is kept.
func (m *Moto) CoverageTable(ctx context.Context, name string) error {
	db, err := m.DynamoDB(ctx)
	if err != nil {
		return err
	}
	_, err = db.CreateTable(ctx, &dynamodb.CreateTableInput{
		TableName:   aws.String(name),
		BillingMode: types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{
			{AttributeName: aws.String("poolId"), AttributeType: types.ScalarAttributeTypeS},
			{AttributeName: aws.String("userSub"), AttributeType: types.ScalarAttributeTypeS},
		},
		KeySchema: []types.KeySchemaElement{
			{AttributeName: aws.String("poolId"), KeyType: types.KeyTypeHash},
			{AttributeName: aws.String("userSub"), KeyType: types.KeyTypeRange},
		},
	})
	var inUse *types.ResourceInUseException
	if errors.As(err, &inUse) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("create table %s: %w", name, err)
	}
	_, err = db.UpdateTimeToLive(ctx, &dynamodb.UpdateTimeToLiveInput{TableName: aws.String(name),
		TimeToLiveSpecification: &types.TimeToLiveSpecification{AttributeName: aws.String("expiresAt"), Enabled: aws.Bool(true)}})
	if err != nil {
		return fmt.Errorf("enable TTL on %s: %w", name, err)
	}
	return nil
}
