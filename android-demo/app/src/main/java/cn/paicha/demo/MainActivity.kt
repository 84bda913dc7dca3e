// The Android layer of the demo: a thin shell of Views over the plain-Kotlin
// state holders in `model/` (which CI tests on the JVM). Every model call
// blocks on disk or network, so it runs on `worker`; results are rendered
// on the main thread.
package cn.paicha.demo

import android.app.Activity
import android.os.Bundle
import android.widget.Button
import android.widget.LinearLayout
import android.widget.ScrollView
import android.widget.TextView
import cn.paicha.AnswerValue
import cn.paicha.demo.model.HazardsModel
import cn.paicha.demo.model.InspectionModel
import cn.paicha.demo.model.ReviewModel
import cn.paicha.demo.model.SessionModel
import cn.paicha.demo.model.SyncModel
import java.util.concurrent.Executors

class MainActivity : Activity() {
    private val worker = Executors.newSingleThreadExecutor()
    private lateinit var output: TextView
    private lateinit var session: SessionModel

    override fun onCreate(savedInstanceState: Bundle?) {
        super.onCreate(savedInstanceState)
        session = SessionModel(filesDir.resolve("paicha").path, "android-demo")
        output = TextView(this)
        val column = LinearLayout(this).apply { orientation = LinearLayout.VERTICAL }
        fun button(label: String, action: () -> String) = column.addView(Button(this).apply {
            text = label
            setOnClickListener { run(action) }
        })
        button("Sign in as inspector 王检查 (demo)") { session.signInDemo("insp-wang"); "user: ${session.state.user}" }
        button("Sign in as supervisor 陈监管 (demo)") { session.signInDemo("sup-chen"); "user: ${session.state.user}" }
        button("Run the dust-explosion checklist") {
            val m = InspectionModel(session.store!!)
            m.load()
            val enterprise = m.state.enterprises.first().creditCode
            m.start("dust-explosion", enterprise, listOf("insp-li"))
            m.answer("DE-07", AnswerValue.DoesNotConform, "积尘严重")
            // Every item is answered before completion (R4); the demo marks the rest not applicable.
            for (item in m.state.items.filter { it.answer == null }) m.answer(item.code, AnswerValue.NotApplicable)
            m.complete()
            m.state.problem?.message ?: "findings: ${m.state.completion?.findings?.map { it.itemCode }}"
        }
        button("Hidden dangers") {
            val m = HazardsModel(session.store!!)
            m.refresh()
            m.state.problem?.message ?: m.state.all.joinToString("\n") { "${it.status} ${it.deadline} ${it.description}" }
        }
        button("Review queue") {
            val m = ReviewModel(session.store!!)
            m.refresh()
            m.state.problem?.message ?: m.state.queue.joinToString("\n") { "${it.id.take(8)} ${it.description}" }
        }
        button("Sync") {
            val m = SyncModel(session.store!!)
            m.syncNow()
            m.state.problem?.message ?: "synced: ${m.state.last?.docsUp} up, ${m.state.last?.docsDown} down; " +
                "${m.state.conflicts.size} conflicts"
        }
        column.addView(output)
        setContentView(ScrollView(this).apply { addView(column) })
    }

    private fun run(action: () -> String) {
        output.text = "…"
        worker.execute {
            val text = try {
                action()
            } catch (e: Exception) {
                cn.paicha.demo.model.problemOf(e).message
            }
            runOnUiThread { output.text = text }
        }
    }

    override fun onDestroy() {
        worker.shutdown()
        super.onDestroy()
    }
}
