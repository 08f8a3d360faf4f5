// GET /chart?patient=Patient/ID: what the server holds for one client, as a page a
// person can read in a browser while a demo runs (./run demo prints its address). It
// is the same search an EHR's chart makes: the total-score Observations and the
// QuestionnaireResponses with the client as subject. Refreshes itself every 5 s.
const patientPattern = /^Patient\/[A-Za-z0-9\-.]{1,64}$/;

function escape(text) {
  return String(text ?? '').replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
}

function entries(result) {
  return result.status === 200 ? (result.body?.entry ?? []).map((entry) => entry.resource) : [];
}

// Returns {status, body, contentType} for the route, or undefined when `target` is not it.
export async function chartPage(service, target) {
  if (target.pathname !== '/chart') return undefined;
  const patient = target.searchParams.get('patient') ?? '';
  if (!patientPattern.test(patient)) {
    return { status: 400, body: 'patient must be Patient/<id>\n', contentType: 'text/plain; charset=utf-8' };
  }
  const search = (type) => service.handle({ method: 'GET', url: `/${type}?subject=${patient}&_count=200`, headers: {} });
  const observations = entries(await search('Observation'))
    .filter((observation) => !(observation.hasMember === undefined && observation.code?.coding?.[0]?.system?.endsWith('/pcoms-item')))
    .sort((a, b) => (a.effectiveDateTime ?? '').localeCompare(b.effectiveDateTime ?? ''));
  const responses = entries(await search('QuestionnaireResponse'));
  const rows = observations.map((observation) => `<tr>
  <td>${escape((observation.effectiveDateTime ?? '').slice(0, 16).replace('T', ' '))}</td>
  <td>${escape(observation.code?.text)}</td>
  <td class="number">${escape(observation.valueQuantity?.value?.toFixed(1))}</td>
  <td>${(observation.interpretation ?? []).map((item) => escape(item.text)).join('<br>')}</td>
  <td>Observation/${escape(observation.id)}<br>${escape(observation.derivedFrom?.[0]?.reference)}</td>
</tr>`).join('\n');
  const body = `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>Chart of ${escape(patient)}</title>
<style>
 body { font: 1rem/1.4 system-ui, sans-serif; margin: 1rem; color: #1b1f24; }
 table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .4rem; border-bottom: 1px solid #ccd; vertical-align: top; }
 td.number { text-align: right; font-weight: 600; } caption { text-align: left; color: #4a5562; padding-bottom: .5rem; }
</style></head><body>
<h1>Chart of ${escape(patient)} on the test FHIR server</h1>
<table><caption>${observations.length} total-score Observations, ${responses.length} QuestionnaireResponses (refreshes every 5 s)</caption>
<thead><tr><th>date</th><th>measure</th><th>total</th><th>interpretation</th><th>resources</th></tr></thead>
<tbody>
${rows}
</tbody></table></body></html>
`;
  return { status: 200, body, contentType: 'text/html; charset=utf-8' };
}
