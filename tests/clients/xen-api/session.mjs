// A typical session of xen-api, Xen Orchestra's XAPI connector, run unchanged against a pool:
// sign in, load and watch the objects through events, follow references, power a VM through an
// async task, meet an error, sign out. Prints one JSON line of findings; exits non-zero on failure.
//
//   node session.mjs <url> <user> <password>        (NODE_EXTRA_CA_CERTS names the pool's CA)
import { createClient } from 'xen-api'

const [url, user, password] = process.argv.slice(2)
const findings = {}
const deadline = ms => new Promise((resolve, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))

async function until(check, what, ms = 15000) {
  const started = Date.now()
  while (!check()) {
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`)
    await new Promise(resolve => setTimeout(resolve, 50))
  }
}

async function main() {
  const xapi = createClient({ url, auth: { user, password }, allowUnauthorized: false })
  await Promise.race([xapi.connect(), deadline(20000)])
  findings.status = xapi.status

  // Objects arrive through event.from; references resolve with a $ prefix.
  // The client loads each type with get_all_records (listed by system.listMethods), then follows event.from.
  const loaded = type => Object.values(xapi.objects.all).some(object => object.$type === type)
  await until(() => ['VM', 'host', 'VBD', 'VDI', 'SR'].every(loaded) && xapi.pool.$master !== undefined, 'the pool objects')
  const all = Object.values(xapi.objects.all)
  const vms = all.filter(object => object.$type === 'VM' && !object.is_a_template && !object.is_control_domain)
  findings.vms = vms.map(vm => vm.name_label).sort()
  findings.master = xapi.pool.$master.name_label
  const running = vms.find(vm => vm.power_state === 'Running')
  findings.runningHost = running.$resident_on.name_label

  // A power operation through an async task, and the change seen on the watched object.
  const halted = vms.find(vm => vm.name_label === 'build01')
  await xapi.callAsync('VM.start', halted.$ref, false, false)
  await until(() => xapi.getObject(halted.$ref).power_state === 'Running', 'build01 to run')
  findings.started = xapi.getObject(halted.$ref).power_state
  await xapi.callAsync('VM.hard_shutdown', halted.$ref)
  await until(() => xapi.getObject(halted.$ref).power_state === 'Halted', 'build01 to halt')
  findings.stopped = xapi.getObject(halted.$ref).power_state

  // An error, as the client decodes it.
  try {
    await xapi.call('VM.start', running.$ref, false, false)
    findings.error = 'none'
  } catch (error) {
    findings.error = error.code
    findings.errorParams = error.params
  }

  await xapi.disconnect()
  findings.disconnected = xapi.status
  console.log(JSON.stringify(findings))
}

main().then(
  () => process.exit(0),
  error => {
    console.log(JSON.stringify({ ...findings, failure: String(error && (error.stack || error)) }))
    process.exit(1)
  }
)
