package query

import (
	"encoding/json"
	"fmt"
)

// The handler's path for GET accounts?$select=...&$filter=...&$expand=...
func ExampleEnv_ParseQuery() {
	env, _ := newEnv() // a Schema, a Data, a clock, the calling user
	vals, _ := ParseRawQuery("$select=name&$filter=primarycontactid/fullname eq 'Nancy Anderson (sample)'&$expand=primarycontactid($select=fullname)")
	q, err := env.ParseQuery("account", vals)
	if err != nil {
		fmt.Println(err.(*Error).Status, err)
		return
	}
	rows, _ := env.Match("account", q)
	out, _ := env.Project("account", q, rows)
	b, _ := json.Marshal(out)
	fmt.Println("$metadata#accounts" + q.Context())
	fmt.Println(string(b))
	// Output:
	// $metadata#accounts(name,primarycontactid(fullname))
	// [{"@odata.etag":"W/\"501097\"","accountid":"3adbf27c-8efb-e511-80d2-00155db07c77","name":"Adventure Works (sample)","primarycontactid":{"contactid":"a0dbf27c-8efb-e511-80d2-00155db07c77","fullname":"Nancy Anderson (sample)"}}]
}

// A refusal carries the status and Dataverse's code and message.
func ExampleError() {
	env, _ := newEnv()
	vals, _ := ParseRawQuery("$filter=nme eq 'x'")
	_, err := env.ParseQuery("account", vals)
	e := err.(*Error)
	fmt.Println(e.Status, e.Code, e.Message)
	// Output:
	// 400 0x80060888 Could not find a property named 'nme' on type 'Microsoft.Dynamics.CRM.account'.
}

// The handler's path for GET contacts?fetchXml=...
func ExampleEnv_RunFetch() {
	env, _ := newEnv()
	f, _ := ParseFetchXML(`<fetch count='2' page='1'><entity name='contact'><attribute name='fullname'/><order attribute='fullname'/></entity></fetch>`)
	res, _ := env.RunFetch(f)
	fmt.Println(len(res.Rows), res.MoreRecords, res.Context())
	fmt.Println(res.PagingCookie[:53])
	// Output:
	// 2 true (fullname,contactid)
	// <cookie pagenumber="2" pagingcookie="%253ccookie%2520
}
