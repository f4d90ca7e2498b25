package asl

import (
	"bytes"
	"testing"
)

func TestMarshalKeepsStateOrderAndHTML(t *testing.T) {
	var sm StateMachine
	sm.StartAt = "Wait 4h"
	four := int64(14400)
	sm.States.Add("Wait 4h", &State{Type: "Wait", Seconds: &four, Next: "Send <cart> & go"})
	sm.States.Add("Send <cart> & go", &State{Type: "Succeed"})
	sm.States.Add("A first?", &State{Type: "Succeed"})
	got, err := Marshal(&sm)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "StartAt": "Wait 4h",
  "States": {
    "Wait 4h": {
      "Type": "Wait",
      "Seconds": 14400,
      "Next": "Send <cart> & go"
    },
    "Send <cart> & go": {
      "Type": "Succeed"
    },
    "A first?": {
      "Type": "Succeed"
    }
  }
}
`
	if string(got) != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
	back, err := Parse(got)
	if err != nil {
		t.Fatal(err)
	}
	again, err := Marshal(back)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, got) {
		t.Fatalf("round trip changed the definition:\n%s", again)
	}
}

func TestParseRejectsDuplicateState(t *testing.T) {
	_, err := Parse([]byte(`{"StartAt":"A","States":{"A":{"Type":"Succeed"},"A":{"Type":"Pass","End":true}}}`))
	if err == nil || err.Error() != `parse definition: state "A" is defined twice` {
		t.Fatalf("err = %v", err)
	}
}
