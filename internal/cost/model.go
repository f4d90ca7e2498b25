package cost

import (
	"context"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"gopkg.in/yaml.v3"

	"github.com/parcours/parcours/internal/profile"
)

// SendUnits are the DynamoDB request units of one send invocation by its
// answer, as internal/send does it (TestSendUnits runs the real handler
// through a Meter and checks these): "sent" reads the message item and the
// profile (consistent), takes the frequency cap, claims the message item
// and records SES's message id; "deferred" by quiet hours reads the same
// two items and records the deferral on the message item.
var (
	SendSentUnits     = Units{Read: 2, Write: 3}
	SendDeferredUnits = Units{Read: 2, Write: 1}
)

// Assumptions are the inputs parcours cannot measure on a laptop.
type Assumptions struct {
	// Billed Lambda duration per invocation (AWS bills per ms); the
	// functions wait on DynamoDB and SES over the network.
	IngestMS, RouterMS, SendMS float64
	// Memory in MB of each function (template.yaml).
	IngestMB, RouterMB, SendMB float64
	MemorySource               string
	// RetryTransitions is what one Task retry adds to the bill: AWS counts
	// retries as state transitions (the engine does not enter a new state).
	RetryTransitions int
}

// DefaultAssumptions are used unless flags say otherwise.
var DefaultAssumptions = Assumptions{IngestMS: 30, RouterMS: 20, SendMS: 120, IngestMB: 128, RouterMB: 128, SendMB: 128, MemorySource: "Lambda default", RetryTransitions: 1}

// MemoryFromTemplate fills the functions' memory from template.yaml:
// Resources.<Fn>.Properties.MemorySize, else Globals.Function.MemorySize.
func (a *Assumptions) MemoryFromTemplate(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read template: %w", err)
	}
	var t struct {
		Globals struct {
			Function struct {
				MemorySize float64 `yaml:"MemorySize"`
			} `yaml:"Function"`
		} `yaml:"Globals"`
		Resources map[string]struct {
			Properties struct {
				MemorySize float64 `yaml:"MemorySize"`
			} `yaml:"Properties"`
		} `yaml:"Resources"`
	}
	if err := yaml.Unmarshal(b, &t); err != nil {
		return fmt.Errorf("parse template: %w", err)
	}
	global := t.Globals.Function.MemorySize
	src := "template.yaml Globals.Function.MemorySize"
	if global == 0 {
		global, src = 128, "Lambda default (none in template.yaml)"
	}
	a.MemorySource = src
	for _, f := range []struct {
		id  string
		dst *float64
	}{{"IngestFunction", &a.IngestMB}, {"RouterFunction", &a.RouterMB}, {"SendFunction", &a.SendMB}} {
		*f.dst = global
		if r, ok := t.Resources[f.id]; ok && r.Properties.MemorySize > 0 {
			*f.dst = r.Properties.MemorySize
			a.MemorySource = "template.yaml (per function, else Globals)"
		}
	}
	return nil
}

// Bill is an amount per AWS service.
type Bill struct {
	StepFunctions, Lambda, DynamoDB, SES, APIGateway float64
}

// Total adds the lines.
func (b Bill) Total() float64 {
	return b.StepFunctions + b.Lambda + b.DynamoDB + b.SES + b.APIGateway
}

// Add returns b + c.
func (b Bill) Add(c Bill) Bill {
	return Bill{b.StepFunctions + c.StepFunctions, b.Lambda + c.Lambda, b.DynamoDB + c.DynamoDB, b.SES + c.SES, b.APIGateway + c.APIGateway}
}

// Scale returns b × k.
func (b Bill) Scale(k float64) Bill {
	return Bill{b.StepFunctions * k, b.Lambda * k, b.DynamoDB * k, b.SES * k, b.APIGateway * k}
}

func lambda(p Prices, ms, mb float64) float64 {
	return p.LambdaRequest + ms/1000*mb/1024*p.LambdaGBSecond
}

// Entry prices one execution of a journey that did what r did. Retried
// attempts are charged a transition each (AssumptionsRetryTransitions), a
// Lambda request and duration, and no DynamoDB (the failure is before the
// handler's writes).
func Entry(p Prices, a Assumptions, r Run, entryWrites float64) Bill {
	var b Bill
	b.StepFunctions = float64(r.Transitions+r.Retries*a.RetryTransitions) * p.Transition
	b.Lambda = float64(r.Sends+r.Resolves) * lambda(p, a.SendMS, a.SendMB)
	sent := SendSentUnits
	def := SendDeferredUnits
	reads := r.ReadUnits + float64(r.Emails)*sent.Read + float64(r.Deferrals)*def.Read
	writes := entryWrites + float64(r.Emails)*sent.Write + float64(r.Deferrals)*def.Write
	b.DynamoDB = reads*p.ReadUnit + writes*p.WriteUnit
	b.SES = float64(r.Emails) * p.Email
	return b
}

// EntryWrites is the router's journey-entry item: written for journeys that
// limit re-entry (never, after), not for "always".
func EntryWrites(reEntry string) float64 {
	if reEntry == "" || reEntry == "always" {
		return 0
	}
	return 1
}

// Webhook prices one webhook delivery: the HTTP API request, the ingest
// invocation, its measured DynamoDB units, and one router invocation per
// stored delivery (stream batches of one: the worst case at low volume).
func Webhook(p Prices, a Assumptions, w Webhooks) Bill {
	storedShare := 0.0
	if w.Deliveries > 0 {
		storedShare = float64(w.Stored) / float64(w.Deliveries)
	}
	return Bill{
		APIGateway: p.APIRequest,
		Lambda:     lambda(p, a.IngestMS, a.IngestMB) + storedShare*lambda(p, a.RouterMS, a.RouterMB),
		DynamoDB:   w.Units.Read/float64(max(w.Deliveries, 1))*p.ReadUnit + w.Units.Write/float64(max(w.Deliveries, 1))*p.WriteUnit,
	}
}

// TableBytes is what the table holds after the replay: item bytes per
// profile item (aliases, orders and events included).
func TableBytes(ctx context.Context, em *Emulator) (perProfile float64, profiles int, err error) {
	total := 0
	var start map[string]types.AttributeValue
	for {
		out, err := em.DB.Scan(ctx, &dynamodb.ScanInput{TableName: aws.String(em.Table), ExclusiveStartKey: start})
		if err != nil {
			return 0, 0, fmt.Errorf("scan: %w", err)
		}
		for _, it := range out.Items {
			total += ItemSize(it) + 100 // DynamoDB adds 100 bytes of overhead per item for storage
			if sk, ok := it[profile.AttrSK].(*types.AttributeValueMemberS); ok && sk.Value == profile.SKProfile {
				profiles++
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	if profiles == 0 {
		return 0, 0, nil
	}
	return float64(total) / float64(profiles), profiles, nil
}
