// The other baseline: a JavaScript action's way, Node's fetch doing the same requests as
// nodion-deploy's full run (snapshot, trigger, one poll for that deployment's status).
const { NODION_API_URL: api, NODION_API_TOKEN: token, NODION_APPLICATION_ID: app } = process.env;
const list = `${api}/applications/${app}/deployments`;
const headers = { Authorization: `Bearer ${token}`, Accept: "application/json" };

const get = async () => {
  const res = await fetch(list, { headers });
  if (!res.ok) throw new Error(`list: HTTP ${res.status}`);
  return (await res.json()).deployments;
};

const before = Math.max(0, ...(await get()).map((d) => d.deploy_number));
const res = await fetch(list, {
  method: "POST",
  headers: { ...headers, "Content-Type": "application/json" },
  body: "{}",
});
if (!res.ok) throw new Error(`trigger: HTTP ${res.status}`);
const number = (await res.json()).deployment.deploy_number;
if (!(number > before)) throw new Error("not a new deployment");
const ours = (await get()).find((d) => d.deploy_number === number);
if (ours?.status !== "available") throw new Error(`status ${ours?.status}`);
