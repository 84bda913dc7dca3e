package cn.paicha.demo.ui

import androidx.compose.foundation.clickable
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.FilterChip
import androidx.compose.material3.OutlinedButton
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
import cn.paicha.DueState
import cn.paicha.PaichaStoreInterface
import cn.paicha.demo.Route
import cn.paicha.demo.ioDispatcher
import cn.paicha.demo.mainDispatcher
import cn.paicha.demo.model.EnterprisePickerViewModel
import cn.paicha.demo.screenModel

/** The enterprises in scope, most urgent inspection first; then a checklist and a co-inspector. */
@Composable
fun PickerScreen(store: PaichaStoreInterface, go: (Route) -> Unit, back: () -> Unit) {
    val model = screenModel("picker") { EnterprisePickerViewModel(store, ioDispatcher, mainDispatcher) }
    val state by model.state.collectAsStateWithLifecycle()
    var coInspector by rememberSaveable { mutableStateOf<String?>(null) }
    LaunchedEffect(Unit) { model.refresh() }

    ScreenFrame("选择企业", state.loading, state.problem, back) {
        for (d in state.due) {
            val due = when (val s = d.state) {
                is DueState.Overdue -> "逾期${s.daysOverdue}天"
                is DueState.Due -> if (s.daysLeft == 0L) "今天到期" else "${s.daysLeft}天内到期"
                is DueState.NotDue -> "${d.dueDate}到期"
            }
            Text(
                "${d.name} · ${d.riskColour} · $due",
                Modifier.clickable { model.select(d.creditCode) }.padding(vertical = 8.dp),
            )
        }
        val selected = state.selected ?: return@ScreenFrame
        Text("同行检查员（执法检查需两名持证人员）:")
        for (p in state.colleagues) {
            FilterChip(selected = coInspector == p.id, onClick = { coInspector = p.id }, label = { Text(p.name) })
        }
        Text("${selected.name} 的检查表:")
        for (t in state.templates) {
            OutlinedButton(onClick = { go(Route.Checklist(t.id, selected.creditCode, coInspector)) }) {
                Text("${t.title}（第${t.version}版）")
            }
        }
    }
}
