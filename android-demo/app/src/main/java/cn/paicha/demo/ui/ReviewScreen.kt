package cn.paicha.demo.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.paicha.PaichaStoreInterface
import cn.paicha.demo.Route
import cn.paicha.demo.ioDispatcher
import cn.paicha.demo.mainDispatcher
import cn.paicha.demo.model.ReviewViewModel
import cn.paicha.demo.screenModel

/** The supervisor's review queue: open a record (with its photos), approve or reject with a reason (R8). */
@Composable
fun ReviewScreen(store: PaichaStoreInterface, go: (Route) -> Unit, back: () -> Unit) {
    val model = screenModel("review") { ReviewViewModel(store, ioDispatcher, mainDispatcher) }
    val state by model.state.collectAsStateWithLifecycle()
    var opinion by rememberSaveable { mutableStateOf("") }
    LaunchedEffect(Unit) { model.refresh() }

    ScreenFrame("复查（${state.queue.size}）", state.loading, state.problem, back) {
        state.decided?.let { Text("已处理: ${it.description} → ${it.status}") }
        for (h in state.queue) {
            Text("${h.enterpriseName} · ${h.description}", Modifier.clickable { model.select(h.id) }.padding(vertical = 8.dp))
        }
        val selected = state.selected ?: return@ScreenFrame
        Text("${selected.description} · 证据${selected.evidenceCount}份")
        OutlinedButton(onClick = { go(Route.Hazard(selected.id)) }) { Text("照片与历史") }
        OutlinedTextField(opinion, { opinion = it }, label = { Text("复查意见（驳回须写明理由）") })
        Row {
            Button(onClick = { model.decide(selected.id, true, opinion) }) { Text("通过销号") }
            OutlinedButton(onClick = { model.decide(selected.id, false, opinion) }) { Text("驳回") }
        }
    }
}
