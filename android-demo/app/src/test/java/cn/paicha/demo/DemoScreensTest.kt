// The demo app's screens, driven on the JVM against the real library and a
// real paicha-server: sign in, run a checklist offline, see the hidden
// dangers raised, submit evidence, review as a supervisor, sync, conflicts.
// Prints "N passed, N failed"; exits non-zero on a failure.
package cn.paicha.demo

import cn.paicha.AnswerValue
import cn.paicha.HazardStatus
import cn.paicha.Level
import cn.paicha.demo.model.*
import java.io.File
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertNotNull
import kotlin.test.assertNull
import kotlin.test.assertTrue

private val serverBin = System.getenv("PAICHA_SERVER_BIN") ?: "target/debug/paicha-server"
private val work: File = Files.createTempDirectory("paicha-demo-").toFile()
private const val ALUMINIUM = "91320583700000001K"

private fun admin(vararg args: String): String {
    val p = ProcessBuilder(serverBin, *args).start()
    val out = p.inputStream.bufferedReader().readText()
    check(p.waitFor() == 0) { p.errorStream.bufferedReader().readText() }
    return out
}

private class DemoServer {
    val data = File(work, "server").path
    val process: Process
    val url: String

    init {
        admin("--data", data, "init", "--demo")
        process = ProcessBuilder(serverBin, "--data", data, "serve", "--listen", "127.0.0.1:0")
            .redirectError(ProcessBuilder.Redirect.DISCARD).apply { environment()["PAICHA_LOG"] = "warn" }.start()
        url = process.inputStream.bufferedReader().readLine().removePrefix("listening on ")
    }

    fun session(device: String, user: String): SessionModel {
        val json = admin("--data", data, "--json", "device", "add", "--device", device, "--user", user)
        val code = Regex("\"code\":\"([A-Z0-9]+)\"").find(json)!!.groupValues[1]
        return SessionModel(File(work, device).path, device).also { it.enroll(url, code) }
    }
}

private fun photo(name: String): String =
    File(work, "$name.jpg").apply { writeBytes(byteArrayOf(-1, -40, -1, -32) + name.toByteArray()) }.path

private val server = DemoServer()
private var raisedGeneral = ""

fun inspectorRunsAChecklistOfflineAndRaisesHiddenDangers() {
    val session = server.session("demo-wang", "insp-wang")
    assertEquals("insp-wang", session.state.user)
    val store = session.store!!
    val m = InspectionModel(store)
    m.load()
    assertTrue(m.state.templates.any { it.id == "dust-explosion" })
    m.start("dust-explosion", ALUMINIUM, listOf("insp-li"))
    assertNull(m.state.problem)
    m.answer("DE-01", AnswerValue.Conforms)
    m.answer("DE-03", AnswerValue.DoesNotConform, "干式除尘器无泄爆片")
    m.answer("DE-08", AnswerValue.Number(3.5), "积尘约3.5毫米")
    m.answer("DE-99", AnswerValue.Conforms)
    assertEquals("item", m.state.problem?.message?.substringBefore(":"))
    m.reportFinding("DE-03", listOf(photo("de03")), listOf("insp-li"))
    m.reportFinding("DE-08", listOf(photo("de08")), listOf("insp-li"))
    assertEquals(listOf(Level.MAJOR, Level.GENERAL), m.state.raised.map { it.level })
    raisedGeneral = m.state.raised[1].id
    // R4: not before every item is answered; the problem names the rule and the items left.
    m.complete()
    assertEquals("R4", m.state.problem?.rule)
    assertTrue(m.state.problem!!.message.contains("DE-02"))
    for (item in m.state.items.filter { it.answer == null }) m.answer(item.code, AnswerValue.NotApplicable)
    m.complete()
    assertEquals(2, m.state.completion!!.findings.size)
    val hazards = HazardsModel(store).apply { refresh() }
    assertEquals(2, hazards.state.all.size)
    val sync = SyncModel(store).apply { syncNow() }
    assertNull(sync.state.problem)
    assertEquals(3uL, sync.state.last!!.docsUp)
}

fun enterpriseSubmitsEvidenceAndSupervisorReviews() {
    val ent = server.session("demo-ent", "ent-a").store!!
    SyncModel(ent).syncNow()
    val hazards = HazardsModel(ent).apply { refresh() }
    assertEquals(2, hazards.state.all.size)
    hazards.open(raisedGeneral)
    hazards.submitEvidence("已清理积尘并建立清扫制度", listOf(photo("after")))
    assertEquals(HazardStatus.PENDING_REVIEW, hazards.state.selected!!.status)
    SyncModel(ent).syncNow()

    val chen = server.session("demo-chen", "sup-chen").store!!
    SyncModel(chen).syncNow()
    val review = ReviewModel(chen).apply { refresh() }
    assertEquals(listOf(raisedGeneral), review.state.queue.map { it.id })
    review.decide(raisedGeneral, false, "")
    assertEquals("R8", review.state.problem?.rule)
    review.decide(raisedGeneral, true, "整改到位")
    assertTrue(review.state.queue.isEmpty())
    val sync = SyncModel(chen).apply { syncNow() }
    assertTrue(sync.state.conflicts.isEmpty() && sync.state.refused.isEmpty())
}

fun offlineDemoSignInWorksWithoutAServer() {
    val s = SessionModel(File(work, "offline").path, "offline-tablet")
    s.signInDemo("sup-chen")
    assertEquals("sup-chen", s.state.user)
    val sync = SyncModel(s.store!!).apply { syncNow() }
    assertNotNull(sync.state.problem)
    assertEquals("this tablet is not enrolled", sync.state.problem!!.message)
}

fun main() {
    val tests = listOf(
        "inspector runs a checklist offline and raises hidden dangers" to ::inspectorRunsAChecklistOfflineAndRaisesHiddenDangers,
        "enterprise submits evidence and supervisor reviews" to ::enterpriseSubmitsEvidenceAndSupervisorReviews,
        "offline demo sign-in works without a server" to ::offlineDemoSignInWorksWithoutAServer,
    )
    var passed = 0
    var failed = 0
    for ((name, t) in tests) {
        try {
            t(); passed++; println("ok   $name")
        } catch (e: Throwable) {
            failed++; println("FAIL $name: $e"); e.printStackTrace()
        }
    }
    server.process.destroy()
    println("$passed passed, $failed failed")
    kotlin.system.exitProcess(if (failed == 0) 0 else 1)
}
