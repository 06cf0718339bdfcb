// The DynamicsWebApi side of the peer benchmark (see main.go): runs one
// workload against a server and prints one JSON line,
// {"ok": n, "failed": n, "seconds": s, "errors": {"<status>": n}}.
//
//	node dwa.mjs <workload> <org URL> <n> <token> <fixed lead id> <records per bulk request>
//
// The workloads do what main.go's runD365 does with d365: the same
// records, the same requests, the same concurrency, after the same
// warm-up.
import { DynamicsWebApi } from "dynamics-web-api";

const [workload, serverUrl, nText, token, fixedLeadID, chunkText] = process.argv.slice(2);
const n = Number(nText);
const chunk = Number(chunkText || "1000");
const warmUp = 100;

const api = new DynamicsWebApi({
  serverUrl,
  dataApi: { version: "9.2" },
  onTokenRefresh: async () => token,
});

// lead is the i-th lead: the columns main.go's benchLead sets.
function lead(i) {
  const p = String(i).padStart(5, "0");
  return { subject: `Peer ${i}`, firstname: "Avery", lastname: `Buyer ${p}`, companyname: `Partner ${p} Ltd`, emailaddress1: `avery${p}@partner.example` };
}

async function batch(first, count) {
  api.startBatch();
  for (let i = first; i < first + count; i++) {
    api.create({ collection: "leads", data: lead(i), inChangeSet: false });
  }
  const res = await api.executeBatch({ continueOnError: true });
  if (res.length !== count) throw new Error(`$batch answered ${res.length} results for ${count} creates`);
  for (const r of res) if (r instanceof Error) throw r;
}

async function createMultiple(first, count) {
  const targets = [];
  for (let i = first; i < first + count; i++) targets.push({ "@odata.type": "Microsoft.Dynamics.CRM.lead", ...lead(i) });
  const res = await api.callAction({ collection: "leads", actionName: "Microsoft.Dynamics.CRM.CreateMultiple", action: { Targets: targets } });
  if (!res || !Array.isArray(res.Ids) || res.Ids.length !== count) throw new Error(`CreateMultiple answered ${JSON.stringify(res)?.slice(0, 200)}`);
}

async function main() {
  let one;
  let per = 1;
  let workers = 1;
  switch (workload) {
    case "create-seq":
    case "fixed-create":
    case "create-52":
    case "limits":
      one = async (i) => {
        const id = await api.create({ collection: "leads", data: lead(i) });
        if (!id) throw new Error("create returned no id");
      };
      break;
    case "get-seq":
    case "fixed-get": {
      const key = workload === "fixed-get" ? fixedLeadID : await api.create({ collection: "leads", data: lead(0) });
      one = async () => {
        const r = await api.retrieve({ collection: "leads", key, includeAnnotations: "*" });
        if (!r.leadid) throw new Error("retrieve returned no leadid");
      };
      break;
    }
    case "batch-1000":
      one = (i) => batch(i * chunk, chunk);
      per = chunk;
      break;
    case "createmultiple-1000":
      one = (i) => createMultiple(i * chunk, chunk);
      per = chunk;
      break;
    default:
      throw new Error(`unknown workload ${workload}`);
  }
  if (workload === "create-52" || workload === "limits") workers = 52;
  const calls = Math.floor(n / per);
  if (workload !== "limits") {
    const warm = per > 1 ? 1 : warmUp;
    for (let i = 0; i < warm; i++) await one(1_000_000 + i);
  }
  let next = 0;
  let ok = 0;
  let failed = 0;
  const errors = {};
  const start = performance.now();
  await Promise.all(
    Array.from({ length: workers }, async () => {
      for (let i = next++; i < calls; i = next++) {
        try {
          await one(i);
          ok++;
        } catch (err) {
          failed++;
          const kind = err && err.status ? String(err.status) : "other";
          errors[kind] = (errors[kind] || 0) + 1;
          if (kind === "other" && !process.env.QUIET) console.error(err);
        }
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  console.log(JSON.stringify({ ok: ok * per, failed: failed * per, seconds, errors }));
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
