package cn.paicha.demo.ui

import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.paicha.PaichaStoreInterface
import cn.paicha.demo.ioDispatcher
import cn.paicha.demo.mainDispatcher
import cn.paicha.demo.model.RefusedEditsViewModel
import cn.paicha.demo.screenModel
import java.text.DateFormat
import java.util.Date

/** Work the server refused, with the rule and why: kept on the tablet so the user can redo it right. */
@Composable
fun RefusedEditsScreen(store: PaichaStoreInterface, back: () -> Unit) {
    val model = screenModel("refused") { RefusedEditsViewModel(store, ioDispatcher, mainDispatcher) }
    val state by model.state.collectAsStateWithLifecycle()
    LaunchedEffect(Unit) { model.refresh() }
    ScreenFrame("被拒绝的修改（${state.refused.size}）", state.loading, state.problem, back) {
        val format = DateFormat.getDateTimeInstance()
        for (r in state.refused) Text("${format.format(Date(r.atMs))} · ${r.rule}: ${r.reason}")
        if (state.refused.isEmpty() && !state.loading) Text("没有被拒绝的修改")
    }
}
