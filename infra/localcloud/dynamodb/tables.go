package dynamodb

import (
	"context"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/eventchain/eventchain/infra/localcloud/internal/awsproto"
)

var tableNameRE = regexp.MustCompile(`^[a-zA-Z0-9_.-]{3,255}$`)

func checkTableName(name string) *awsproto.Error {
	if name == "" {
		return errMissing("tableName")
	}
	if !tableNameRE.MatchString(name) {
		return errValidation("1 validation error detected: Value '%s' at 'tableName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255", name)
	}
	return nil
}

// checkKeySchema checks one key schema against the attribute types and
// notes the attributes it uses.
func checkKeySchema(ks []keySchemaElement, types map[string]string, used map[string]bool, what string) *awsproto.Error {
	if len(ks) == 0 || len(ks) > 2 {
		return errValidation("1 validation error detected: Value '%v' at '%s' failed to satisfy constraint: Member must have length less than or equal to 2", ks, what)
	}
	if ks[0].KeyType != "HASH" {
		return errValidation("Invalid KeySchema: The first KeySchemaElement is not a HASH key type")
	}
	if len(ks) == 2 {
		if ks[1].KeyType != "RANGE" {
			return errValidation("Invalid KeySchema: The second KeySchemaElement is not a RANGE key type")
		}
		if ks[0].AttributeName == ks[1].AttributeName {
			return errValidation("Both the Hash Key and the Range Key element in the KeySchema have the same name")
		}
	}
	for _, k := range ks {
		typ, ok := types[k.AttributeName]
		if !ok {
			return errValidation("One or more parameter values were invalid: Some index key attributes are not defined in AttributeDefinitions. Keys: [%s], AttributeDefinitions: [%s]",
				k.AttributeName, strings.Join(slices.Sorted(mapKeys(types)), ", "))
		}
		if typ != "S" && typ != "N" && typ != "B" {
			return errValidation("1 validation error detected: Value '%s' at 'attributeDefinitions.member.attributeType' failed to satisfy constraint: Member must satisfy enum value set: [B, N, S]", typ)
		}
		used[k.AttributeName] = true
	}
	return nil
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// checkIndex checks a secondary index definition and fills in its
// projection's default.
func checkIndex(ix *secondaryIndex, types map[string]string, used map[string]bool, names map[string]bool) *awsproto.Error {
	if ix.IndexName == "" || !tableNameRE.MatchString(ix.IndexName) {
		return errValidation("1 validation error detected: Value '%s' at 'indexName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+ and have length between 3 and 255", ix.IndexName)
	}
	if names[ix.IndexName] {
		return errValidation("One or more parameter values were invalid: Duplicate index name: %s", ix.IndexName)
	}
	names[ix.IndexName] = true
	if e := checkKeySchema(ix.KeySchema, types, used, "keySchema"); e != nil {
		return e
	}
	if ix.Projection == nil || ix.Projection.ProjectionType == "" {
		return errValidation("One or more parameter values were invalid: Unknown ProjectionType: null")
	}
	switch ix.Projection.ProjectionType {
	case "ALL", "KEYS_ONLY":
		if len(ix.Projection.NonKeyAttributes) > 0 {
			return errValidation("One or more parameter values were invalid: ProjectionType is %s, but NonKeyAttributes is specified", ix.Projection.ProjectionType)
		}
	case "INCLUDE":
	default:
		return errValidation("One or more parameter values were invalid: Unknown ProjectionType: %s", ix.Projection.ProjectionType)
	}
	return nil
}

// checkBilling applies DynamoDB's rules on BillingMode and provisioned
// throughput; capacity is accepted and never enforced.
func checkBilling(mode string, pt *provisionedThroughput) (string, *awsproto.Error) {
	switch mode {
	case "", "PROVISIONED":
		if pt == nil || pt.ReadCapacityUnits == nil || pt.WriteCapacityUnits == nil {
			return "", errValidation("One or more parameter values were invalid: ReadCapacityUnits and WriteCapacityUnits must both be specified when BillingMode is PROVISIONED")
		}
		return "PROVISIONED", nil
	case "PAY_PER_REQUEST":
		if pt != nil && (pt.ReadCapacityUnits != nil || pt.WriteCapacityUnits != nil) {
			return "", errValidation("One or more parameter values were invalid: Neither ReadCapacityUnits nor WriteCapacityUnits can be specified when BillingMode is PAY_PER_REQUEST")
		}
		return mode, nil
	}
	return "", errValidation("1 validation error detected: Value '%s' at 'billingMode' failed to satisfy constraint: Member must satisfy enum value set: [PROVISIONED, PAY_PER_REQUEST]", mode)
}

func (s *Service) createTable(_ context.Context, in *createTableInput) (*tableOutput, *awsproto.Error) {
	if e := checkTableName(in.TableName); e != nil {
		return nil, e
	}
	types := map[string]string{}
	for _, d := range in.AttributeDefinitions {
		types[d.AttributeName] = d.AttributeType
	}
	used := map[string]bool{}
	if e := checkKeySchema(in.KeySchema, types, used, "keySchema"); e != nil {
		return nil, e
	}
	mode, e := checkBilling(in.BillingMode, in.ProvisionedThroughput)
	if e != nil {
		return nil, e
	}
	names := map[string]bool{}
	for i := range in.GlobalSecondaryIndexes {
		if e := checkIndex(&in.GlobalSecondaryIndexes[i], types, used, names); e != nil {
			return nil, e
		}
		if pt := in.GlobalSecondaryIndexes[i].ProvisionedThroughput; mode == "PAY_PER_REQUEST" && pt != nil {
			return nil, errValidation("One or more parameter values were invalid: ProvisionedThroughput should not be specified for index: %s when BillingMode is PAY_PER_REQUEST", in.GlobalSecondaryIndexes[i].IndexName)
		}
	}
	for i := range in.LocalSecondaryIndexes {
		l := &in.LocalSecondaryIndexes[i]
		if e := checkIndex(l, types, used, names); e != nil {
			return nil, e
		}
		if len(in.KeySchema) != 2 {
			return nil, errValidation("One or more parameter values were invalid: Table KeySchema does not have a range key, which is required when specifying a LocalSecondaryIndex")
		}
		if len(l.KeySchema) != 2 || l.KeySchema[0].AttributeName != in.KeySchema[0].AttributeName {
			return nil, errValidation("One or more parameter values were invalid: Index KeySchema does not have the same leading hash key as table KeySchema for index: %s. index hash key: %s, table hash key: %s",
				l.IndexName, l.KeySchema[0].AttributeName, in.KeySchema[0].AttributeName)
		}
	}
	if len(used) != len(types) {
		var unused []string
		for n := range types {
			if !used[n] {
				unused = append(unused, n)
			}
		}
		slices.Sort(unused)
		return nil, errValidation("One or more parameter values were invalid: Number of attributes in KeySchema does not exactly match number of attributes defined in AttributeDefinitions; unused: [%s]", strings.Join(unused, ", "))
	}
	meta := tableMeta{
		Name: in.TableName, ID: awsproto.UUID(), Created: s.now(),
		KeySchema: in.KeySchema, Attributes: in.AttributeDefinitions,
		GSIs: in.GlobalSecondaryIndexes, LSIs: in.LocalSecondaryIndexes,
		BillingMode: mode, Provisioned: in.ProvisionedThroughput, Tags: in.Tags,
	}
	s.mu.Lock()
	if s.tables[in.TableName] != nil {
		s.mu.Unlock()
		return nil, errTableExists(in.TableName)
	}
	t := newTable(meta)
	cs := &changeSet{}
	s.putTable(cs, t)
	ch := s.commit(cs)
	desc := s.describe(t)
	s.mu.Unlock()
	if e := finish(ch); e != nil {
		return nil, e
	}
	return &tableOutput{TableDescription: desc}, nil
}

// putTable puts t under its name, replacing any table there, in memory
// and in cs.
func (s *Service) putTable(cs *changeSet, t *table) {
	name := t.meta.Name
	old := s.tables[name]
	s.tables[name] = t
	meta := t.meta
	cs.add(change{table: name, meta: &meta}, func() {
		if old == nil {
			delete(s.tables, name)
		} else {
			s.tables[name] = old
		}
	})
}

// setMeta replaces the definition of t in memory and in cs, for changes
// that leave its items and indexes as they are.
func (s *Service) setMeta(cs *changeSet, t *table, meta tableMeta) {
	old := t.meta
	t.meta = meta
	cs.add(change{table: meta.Name, meta: &meta}, func() { t.meta = old })
}

func (s *Service) describe(t *table) *tableDescription {
	m := t.meta
	d := &tableDescription{
		TableName: m.Name, TableArn: s.tableARN(m.Name), TableId: m.ID, TableStatus: "ACTIVE",
		CreationDateTime: float64(m.Created.UnixMilli()) / 1000,
		KeySchema:        m.KeySchema, AttributeDefinitions: m.Attributes,
		ItemCount: int64(len(t.items)), TableSizeBytes: t.bytes,
		ProvisionedThroughput: throughput(m.Provisioned),
	}
	if m.BillingMode == "PAY_PER_REQUEST" {
		d.BillingModeSummary = &billingModeSummary{BillingMode: m.BillingMode}
	}
	for _, g := range m.GSIs {
		ix := t.indexes[g.IndexName]
		d.GlobalSecondaryIndexes = append(d.GlobalSecondaryIndexes, indexDescription{
			IndexName: g.IndexName, IndexArn: s.tableARN(m.Name) + "/index/" + g.IndexName, KeySchema: g.KeySchema,
			Projection: *g.Projection, IndexStatus: "ACTIVE", ItemCount: int64(ix.count),
			ProvisionedThroughput: ptr(throughput(g.ProvisionedThroughput)),
		})
	}
	for _, l := range m.LSIs {
		ix := t.indexes[l.IndexName]
		d.LocalSecondaryIndexes = append(d.LocalSecondaryIndexes, indexDescription{
			IndexName: l.IndexName, IndexArn: s.tableARN(m.Name) + "/index/" + l.IndexName, KeySchema: l.KeySchema,
			Projection: *l.Projection, ItemCount: int64(ix.count),
		})
	}
	return d
}

func ptr[T any](v T) *T { return &v }

func throughput(pt *provisionedThroughput) throughputDescription {
	var d throughputDescription
	if pt != nil {
		if pt.ReadCapacityUnits != nil {
			d.ReadCapacityUnits = *pt.ReadCapacityUnits
		}
		if pt.WriteCapacityUnits != nil {
			d.WriteCapacityUnits = *pt.WriteCapacityUnits
		}
	}
	return d
}

// tableNamed finds a table for a table operation, which names it when it
// is missing.
func (s *Service) tableNamed(name string) (*table, *awsproto.Error) {
	if name == "" {
		return nil, errMissing("tableName")
	}
	t := s.tables[name]
	if t == nil {
		return nil, errTableNotFound(name)
	}
	return t, nil
}

func (s *Service) describeTable(_ context.Context, in *tableNameInput) (*describeTableOutput, *awsproto.Error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, e := s.tableNamed(in.TableName)
	if e != nil {
		return nil, e
	}
	return &describeTableOutput{Table: s.describe(t)}, nil
}

func (s *Service) listTables(_ context.Context, in *listTablesInput) (*listTablesOutput, *awsproto.Error) {
	limit := 100
	if in.Limit != nil {
		if *in.Limit < 1 || *in.Limit > 100 {
			return nil, errValidation("1 validation error detected: Value '%d' at 'limit' failed to satisfy constraint: Member must have value less than or equal to 100", *in.Limit)
		}
		limit = *in.Limit
	}
	s.mu.RLock()
	names := slices.Sorted(mapKeys(s.tables))
	s.mu.RUnlock()
	page, more := awsproto.Page(names, func(n string) string { return n }, in.ExclusiveStartTableName, limit)
	out := &listTablesOutput{TableNames: append([]string{}, page...)}
	if more {
		out.LastEvaluatedTableName = page[len(page)-1]
	}
	return out, nil
}

func (s *Service) deleteTable(_ context.Context, in *tableNameInput) (*tableOutput, *awsproto.Error) {
	s.mu.Lock()
	t, e := s.tableNamed(in.TableName)
	if e != nil {
		s.mu.Unlock()
		return nil, e
	}
	desc := s.describe(t)
	desc.TableStatus = "DELETING"
	cs := &changeSet{}
	delete(s.tables, in.TableName)
	cs.add(change{table: in.TableName, dropTable: true}, func() { s.tables[in.TableName] = t })
	ch := s.commit(cs)
	s.mu.Unlock()
	if e := finish(ch); e != nil {
		return nil, e
	}
	return &tableOutput{TableDescription: desc}, nil
}

// updateTable changes billing and throughput (accepted, never enforced)
// and creates or deletes global secondary indexes, which are ACTIVE and
// filled at once.
func (s *Service) updateTable(_ context.Context, in *updateTableInput) (*tableOutput, *awsproto.Error) {
	s.mu.Lock()
	t, e := s.tableNamed(in.TableName)
	if e != nil {
		s.mu.Unlock()
		return nil, e
	}
	meta := t.meta
	meta.GSIs = slices.Clone(meta.GSIs)
	meta.Attributes = slices.Clone(meta.Attributes)
	if in.BillingMode != "" || in.ProvisionedThroughput != nil {
		mode := in.BillingMode
		if mode == "" {
			mode = meta.BillingMode
		}
		pt := in.ProvisionedThroughput
		if mode == "PAY_PER_REQUEST" && in.BillingMode != "" && pt == nil {
			meta.Provisioned = nil
		}
		m, e := checkBilling(mode, pt)
		if e != nil && !(mode == "PROVISIONED" && pt == nil && meta.Provisioned != nil) {
			s.mu.Unlock()
			return nil, e
		}
		if m != "" {
			meta.BillingMode = m
		}
		if pt != nil {
			meta.Provisioned = pt
		}
	}
	types := map[string]string{}
	for _, d := range meta.Attributes {
		types[d.AttributeName] = d.AttributeType
	}
	for _, d := range in.AttributeDefinitions {
		if _, ok := types[d.AttributeName]; !ok {
			meta.Attributes = append(meta.Attributes, d)
		}
		types[d.AttributeName] = d.AttributeType
	}
	for _, u := range in.GlobalSecondaryIndexUpdates {
		switch {
		case u.Create != nil:
			names := map[string]bool{}
			for n := range t.indexes {
				names[n] = true
			}
			g := *u.Create
			if e := checkIndex(&g, types, map[string]bool{}, names); e != nil {
				s.mu.Unlock()
				return nil, e
			}
			meta.GSIs = append(meta.GSIs, g)
		case u.Delete != nil:
			i := slices.IndexFunc(meta.GSIs, func(g secondaryIndex) bool { return g.IndexName == u.Delete.IndexName })
			if i < 0 {
				s.mu.Unlock()
				return nil, awsproto.Errorf(http.StatusBadRequest, "ResourceNotFoundException", "Requested resource not found: Index: %s not found", u.Delete.IndexName)
			}
			meta.GSIs = slices.Delete(meta.GSIs, i, i+1)
		}
	}
	// Attribute definitions are what the keys use, no more.
	used := map[string]bool{}
	for _, k := range meta.KeySchema {
		used[k.AttributeName] = true
	}
	for _, ix := range append(slices.Clone(meta.GSIs), meta.LSIs...) {
		for _, k := range ix.KeySchema {
			used[k.AttributeName] = true
		}
	}
	meta.Attributes = slices.DeleteFunc(meta.Attributes, func(d attributeDefinition) bool { return !used[d.AttributeName] })
	cs := &changeSet{}
	if len(in.GlobalSecondaryIndexUpdates) > 0 {
		// A new definition of indexes is a new table holding the same
		// records.
		nt := newTable(meta)
		for _, rec := range t.items {
			nt.replace(nil, rec)
		}
		s.putTable(cs, nt)
		t = nt
	} else {
		s.setMeta(cs, t, meta)
	}
	ch := s.commit(cs)
	desc := s.describe(t)
	s.mu.Unlock()
	if e := finish(ch); e != nil {
		return nil, e
	}
	return &tableOutput{TableDescription: desc}, nil
}

func (s *Service) updateTimeToLive(_ context.Context, in *updateTTLInput) (*updateTTLOutput, *awsproto.Error) {
	spec := in.TimeToLiveSpecification
	if spec == nil {
		return nil, errMissing("timeToLiveSpecification")
	}
	if spec.AttributeName == "" {
		return nil, errMissing("timeToLiveSpecification.attributeName")
	}
	s.mu.Lock()
	t, e := s.tableNamed(in.TableName)
	if e != nil {
		s.mu.Unlock()
		return nil, e
	}
	meta := t.meta
	switch {
	case spec.Enabled && meta.TTLEnabled:
		s.mu.Unlock()
		return nil, errValidation("TimeToLive is already enabled")
	case !spec.Enabled && !meta.TTLEnabled:
		s.mu.Unlock()
		return nil, errValidation("TimeToLive is already disabled")
	case !spec.Enabled && meta.TTLAttribute != spec.AttributeName:
		s.mu.Unlock()
		return nil, errValidation("TimeToLive AttributeName mismatch: %s is not the attribute TimeToLive is enabled on", spec.AttributeName)
	}
	meta.TTLEnabled, meta.TTLAttribute = spec.Enabled, spec.AttributeName
	cs := &changeSet{}
	s.setMeta(cs, t, meta)
	ch := s.commit(cs)
	s.mu.Unlock()
	if e := finish(ch); e != nil {
		return nil, e
	}
	return &updateTTLOutput{TimeToLiveSpecification: *spec}, nil
}

func (s *Service) describeTimeToLive(_ context.Context, in *tableNameInput) (*describeTTLOutput, *awsproto.Error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, e := s.tableNamed(in.TableName)
	if e != nil {
		return nil, e
	}
	d := ttlDescription{TimeToLiveStatus: "DISABLED"}
	if t.meta.TTLEnabled {
		d = ttlDescription{TimeToLiveStatus: "ENABLED", AttributeName: t.meta.TTLAttribute}
	}
	return &describeTTLOutput{TimeToLiveDescription: d}, nil
}

// tableByARN finds the table an ARN names, in this account and region.
func (s *Service) tableByARN(arn string) (*table, *awsproto.Error) {
	if arn == "" {
		return nil, errMissing("resourceArn")
	}
	prefix := s.tableARN("")
	name, ok := strings.CutPrefix(arn, prefix)
	if !ok || strings.Contains(name, "/") {
		return nil, errValidation("Invalid TableArn: Invalid ResourceArn provided as input %s", arn)
	}
	t := s.tables[name]
	if t == nil {
		return nil, awsproto.Errorf(http.StatusBadRequest, "ResourceNotFoundException", "Requested resource not found: ResourcArn: %s not found", arn)
	}
	return t, nil
}

func (s *Service) tagResource(_ context.Context, in *tagResourceInput) (*struct{}, *awsproto.Error) {
	return s.retag(in.ResourceArn, func(tags []tag) []tag {
		for _, nt := range in.Tags {
			if i := slices.IndexFunc(tags, func(t tag) bool { return t.Key == nt.Key }); i >= 0 {
				tags[i] = nt
			} else {
				tags = append(tags, nt)
			}
		}
		return tags
	})
}

func (s *Service) untagResource(_ context.Context, in *tagResourceInput) (*struct{}, *awsproto.Error) {
	return s.retag(in.ResourceArn, func(tags []tag) []tag {
		return slices.DeleteFunc(tags, func(t tag) bool { return slices.Contains(in.TagKeys, t.Key) })
	})
}

func (s *Service) retag(arn string, edit func([]tag) []tag) (*struct{}, *awsproto.Error) {
	s.mu.Lock()
	t, e := s.tableByARN(arn)
	if e != nil {
		s.mu.Unlock()
		return nil, e
	}
	meta := t.meta
	meta.Tags = edit(slices.Clone(meta.Tags))
	cs := &changeSet{}
	s.setMeta(cs, t, meta)
	ch := s.commit(cs)
	s.mu.Unlock()
	if e := finish(ch); e != nil {
		return nil, e
	}
	return nil, nil
}

func (s *Service) listTagsOfResource(_ context.Context, in *tagResourceInput) (*listTagsOutput, *awsproto.Error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	t, e := s.tableByARN(in.ResourceArn)
	if e != nil {
		return nil, e
	}
	return &listTagsOutput{Tags: append([]tag{}, t.meta.Tags...)}, nil
}
