// Drives the standalone emulator (examples/emulator) with DynamicsWebApi
// 2.5.0, a third-party Dataverse Web API client for Node.js, through the
// operations a real integration uses. Every test fails on an operation that
// does not work as Dataverse documents it; none is skipped.
//
// Run (from the repository root):
//
//	go build -o /tmp/d365-emulator ./examples/emulator
//	cd testdata/interop/dynamicswebapi && npm ci && D365_EMULATOR=/tmp/d365-emulator npm test
//
// Without D365_EMULATOR the test runs `go run ./examples/emulator`.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import path from "node:path";
import { DynamicsWebApi } from "dynamics-web-api";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
let emulator;
let api;
let salesURL;
let token;

before(async () => {
  const bin = process.env.D365_EMULATOR;
  const [cmd, args] = bin
    ? [bin, []]
    : ["go", ["run", "./examples/emulator"]];
  emulator = spawn(cmd, [...args, "-sales-addr", "127.0.0.1:0", "-commerce-addr", "127.0.0.1:0"], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const lines = createInterface({ input: emulator.stdout });
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("the emulator printed no URLs within 120 s")), 120_000);
    emulator.once("exit", (code) => reject(new Error(`the emulator exited with ${code}`)));
    lines.on("line", (line) => {
      let m = line.match(/^Sales org URL:\s+(\S+)/);
      if (m) salesURL = m[1];
      m = line.match(/Authorization: Bearer (\S+)/);
      if (m) token = m[1];
      if (salesURL && token) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  api = new DynamicsWebApi({
    serverUrl: salesURL,
    dataApi: { version: "9.2" },
    onTokenRefresh: async () => token,
    propagateErrors: true,
  });
});

after(() => {
  emulator?.kill("SIGTERM");
});

// newLead creates a lead and returns its id.
async function newLead(extra = {}) {
  const lead = await api.create({
    collection: "leads",
    data: { firstname: "Ana", lastname: "Silva", companyname: "Contoso Bikes", emailaddress1: "ana@contoso.example", ...extra },
    returnRepresentation: true,
    select: ["leadid", "fullname"],
  });
  assert.match(lead.leadid, /^[0-9a-f-]{36}$/);
  return lead.leadid;
}

test("create, retrieve, update, delete a lead", async () => {
  const id = await newLead({ subject: "Interop" });
  const got = await api.retrieve({ collection: "leads", key: id, select: ["fullname", "subject", "statecode"] });
  assert.equal(got.fullname, "Ana Silva");
  assert.equal(got.subject, "Interop");
  assert.equal(got.statecode, 0);
  assert.ok(got["@odata.etag"], "a single record carries its @odata.etag");

  await api.update({ collection: "leads", key: id, data: { subject: "Changed" } });
  const changed = await api.retrieve({ collection: "leads", key: id, select: ["subject"] });
  assert.equal(changed.subject, "Changed");

  await api.updateSingleProperty({ collection: "leads", key: id, fieldValuePair: { jobtitle: "Buyer" } });
  const single = await api.retrieve({ collection: "leads", key: id, select: ["jobtitle"] });
  assert.equal(single.jobtitle, "Buyer");

  await api.deleteRecord({ collection: "leads", key: id });
  await assert.rejects(api.retrieve({ collection: "leads", key: id, select: ["fullname"] }), (err) => err.status === 404);
});

test("an unknown column is refused, not ignored", async () => {
  await assert.rejects(
    api.retrieveMultiple({ collection: "leads", select: ["nosuchcolumn"] }),
    (err) => err.status === 400,
  );
  await assert.rejects(
    api.create({ collection: "leads", data: { lastname: "X", nosuchcolumn: 1 } }),
    (err) => err.status === 400,
  );
});

test("paging with maxPageSize and retrieveAll", async () => {
  const tag = `paging-${Date.now()}`;
  for (let i = 0; i < 7; i++) await newLead({ subject: tag, lastname: `P${i}` });
  const first = await api.retrieveMultiple({
    collection: "leads",
    select: ["lastname"],
    filter: `subject eq '${tag}'`,
    orderBy: ["lastname"],
    maxPageSize: 3,
  });
  assert.equal(first.value.length, 3);
  assert.ok(first.oDataNextLink, "a first page of 3 out of 7 has a next link");
  const all = await api.retrieveAll({ collection: "leads", select: ["lastname"], filter: `subject eq '${tag}'`, maxPageSize: 3 });
  assert.deepEqual(all.value.map((r) => r.lastname).sort(), ["P0", "P1", "P2", "P3", "P4", "P5", "P6"]);
});

test("count and countAll", async () => {
  const tag = `count-${Date.now()}`;
  for (let i = 0; i < 4; i++) await newLead({ subject: tag });
  const n = await api.count({ collection: "leads", filter: `subject eq '${tag}'` });
  assert.equal(n, 4);
  const all = await api.countAll({ collection: "leads", filter: `subject eq '${tag}'`, select: ["leadid"] });
  assert.equal(all, 4);
});

test("$expand of single- and collection-valued navigation properties", async () => {
  const parent = await api.create({ collection: "accounts", data: { name: "Parent Co" }, returnRepresentation: true, select: ["accountid"] });
  const child = await api.create({
    collection: "accounts",
    data: { name: "Child Co", "parentaccountid@odata.bind": `/accounts(${parent.accountid})` },
    returnRepresentation: true,
    select: ["accountid"],
  });
  const got = await api.retrieve({
    collection: "accounts",
    key: child.accountid,
    select: ["name"],
    expand: [{ property: "parentaccountid", select: ["name"] }],
  });
  assert.equal(got.parentaccountid?.name, "Parent Co");
  const withChildren = await api.retrieve({
    collection: "accounts",
    key: parent.accountid,
    select: ["name"],
    expand: [{ property: "account_parent_account", select: ["name"] }],
  });
  assert.deepEqual(withChildren.account_parent_account.map((a) => a.name), ["Child Co"]);
});

test("FetchXML with paging cookie and aggregates", async () => {
  const tag = `fetch-${Date.now()}`;
  for (let i = 0; i < 5; i++) await newLead({ subject: tag, lastname: `F${i}` });
  const xml = `<fetch mapping="logical" count="2"><entity name="lead"><attribute name="lastname"/><attribute name="leadid"/><filter><condition attribute="subject" operator="eq" value="${tag}"/></filter><order attribute="lastname"/></entity></fetch>`;
  // "With the Web API you must request a paging cookie as an annotation"
  // (Microsoft Learn, "Page results using FetchXml").
  const includeAnnotations = "Microsoft.Dynamics.CRM.fetchxmlpagingcookie";
  const page1 = await api.fetch({ collection: "leads", fetchXml: xml, pageNumber: 1, includeAnnotations });
  assert.deepEqual(page1.value.map((r) => r.lastname), ["F0", "F1"]);
  assert.equal(page1.PagingInfo?.nextPage, 2);
  assert.ok(page1.PagingInfo?.cookie, "a page with more records carries the paging cookie");
  const all = await api.fetchAll({ collection: "leads", fetchXml: xml, includeAnnotations });
  assert.deepEqual(all.value.map((r) => r.lastname), ["F0", "F1", "F2", "F3", "F4"]);

  const agg = `<fetch aggregate="true"><entity name="lead"><attribute name="leadid" alias="n" aggregate="count"/><filter><condition attribute="subject" operator="eq" value="${tag}"/></filter></entity></fetch>`;
  const counted = await api.fetch({ collection: "leads", fetchXml: agg });
  assert.equal(counted.value[0].n, 5);
});

test("change tracking: delta link, new, changed and deleted rows", async () => {
  const initial = await api.retrieveMultiple({ collection: "accounts", select: ["name"], trackChanges: true });
  assert.ok(initial.oDataDeltaLink, "a tracked query returns @odata.deltaLink");
  const a = await api.create({ collection: "accounts", data: { name: "Delta New" }, returnRepresentation: true, select: ["accountid"] });
  const b = await api.create({ collection: "accounts", data: { name: "Delta Gone" }, returnRepresentation: true, select: ["accountid"] });
  const mid = await api.retrieveMultiple({ collection: "accounts", select: ["name"], trackChanges: true });
  await api.update({ collection: "accounts", key: a.accountid, data: { name: "Delta Changed" } });
  await api.deleteRecord({ collection: "accounts", key: b.accountid });
  const delta = await api.retrieveMultiple({ collection: "accounts" }, mid.oDataDeltaLink);
  const changed = delta.value.find((r) => r.accountid === a.accountid);
  assert.equal(changed?.name, "Delta Changed");
  const removed = delta.value.find((r) => r.id === b.accountid);
  assert.ok(removed && String(removed["@odata.context"]).includes("$deletedEntity"), "a deleted row is reported as $deletedEntity");
});

test("$batch with a change set", async () => {
  api.startBatch();
  api.create({ collection: "leads", data: { lastname: "Batch1" }, contentId: "1" });
  api.create({ collection: "leads", data: { lastname: "Batch2" } });
  api.retrieveMultiple({ collection: "leads", select: ["lastname"], filter: "lastname eq 'Batch1'" });
  const results = await api.executeBatch();
  assert.equal(results.length, 3);
  assert.match(String(results[0]), /^[0-9a-f-]{36}$/);
  assert.equal(results[2].value.length, 1);
});

test("associate and disassociate through $ref", async () => {
  const parent = await api.create({ collection: "accounts", data: { name: "Assoc Parent" }, returnRepresentation: true, select: ["accountid"] });
  const child = await api.create({ collection: "accounts", data: { name: "Assoc Child" }, returnRepresentation: true, select: ["accountid"] });
  await api.associate({
    collection: "accounts",
    primaryKey: parent.accountid,
    relationshipName: "account_parent_account",
    relatedCollection: "accounts",
    relatedKey: child.accountid,
  });
  let got = await api.retrieve({ collection: "accounts", key: child.accountid, select: ["_parentaccountid_value"] });
  assert.equal(got._parentaccountid_value, parent.accountid);
  await api.disassociate({
    collection: "accounts",
    primaryKey: parent.accountid,
    relationshipName: "account_parent_account",
    relatedKey: child.accountid,
  });
  got = await api.retrieve({ collection: "accounts", key: child.accountid, select: ["_parentaccountid_value"] });
  assert.equal(got._parentaccountid_value, null);
});

test("QualifyLead then WinOpportunity", async () => {
  const id = await newLead({ companyname: "Interop Qualify" });
  const created = await api.callAction({
    collection: "leads",
    key: id,
    actionName: "Microsoft.Dynamics.CRM.QualifyLead",
    action: { CreateAccount: true, CreateContact: true, CreateOpportunity: true, Status: 3 },
  });
  const records = created.value ?? created;
  const opp = records.find((r) => r["@odata.type"] === "#Microsoft.Dynamics.CRM.opportunity");
  assert.ok(opp?.opportunityid, "QualifyLead returns the opportunity it created");
  await api.callAction({
    actionName: "WinOpportunity",
    action: {
      Status: 3,
      OpportunityClose: {
        subject: "Won by interop",
        "opportunityid@odata.bind": `/opportunities(${opp.opportunityid})`,
      },
    },
  });
  const won = await api.retrieve({ collection: "opportunities", key: opp.opportunityid, select: ["statecode", "statuscode"] });
  assert.equal(won.statecode, 1);
  assert.equal(won.statuscode, 3);
});
