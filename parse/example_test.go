package parse_test

import (
	"fmt"
	"strings"

	"github.com/herolog/herolog/parse"
)

func ExampleParser_Parse() {
	p := parse.NewParser()
	var r parse.Record
	p.Parse([]byte(`2014-09-26T02:24:49.103527+00:00 heroku[router]: sock=backend at=error code=H18 desc="Request Interrupted" method=POST path="/hubot/ping" host=wafflebot.herokuapp.com request_id=52128fb1-112b-4c4b-aca6-2c3a19f9da67 fwd="54.167.255.103" dyno=web.1 connect=0ms service=1ms status=503 bytes=`), &r)
	fmt.Println(r.Kind, r.Format, r.Dyno, r.Code, r.Method, string(r.Path), r.Service, r.Status, r.Bytes == parse.Missing)
	// Output: router cli web.1 H18 POST /hubot/ping 1 503 true
}

func ExampleReader() {
	logs := `2012-04-29T15:57:54+00:00 heroku[router]: GET www.foo.com/autocomplete dyno=web.4 queue=0 wait=0ms service=17ms status=200 bytes=496
83 <40>1 2012-11-30T06:45:29+00:00 host app web.3 - State changed from starting to up
2012-04-29T15:57:50+00:00 heroku[web.4]: Error R14 (Memory quota exceeded)
`
	rd := parse.NewReader(strings.NewReader(logs), nil)
	for {
		r, err := rd.Next()
		if err != nil {
			break
		}
		fmt.Printf("%d %s %s %s %q\n", r.Line, r.Kind, r.Format, r.Process, r.Code)
	}
	// Output:
	// 1 router cli router ""
	// 2 app frame web.3 ""
	// 3 dyno cli web.4 "R14"
}
