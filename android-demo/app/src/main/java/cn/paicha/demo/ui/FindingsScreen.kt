package cn.paicha.demo.ui

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.padding
import androidx.compose.material3.Button
import androidx.compose.material3.FilterChip
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
import cn.paicha.ChecklistItem
import cn.paicha.HazardKind
import cn.paicha.HazardStatus
import cn.paicha.PaichaStoreInterface
import cn.paicha.demo.Route
import cn.paicha.demo.ioDispatcher
import cn.paicha.demo.mainDispatcher
import cn.paicha.demo.model.FindingsViewModel
import cn.paicha.demo.screenModel

/** Each non-conforming item raised as a hidden danger (where, before photo, measures); then the order. */
@Composable
fun FindingsScreen(store: PaichaStoreInterface, route: Route.Findings, go: (Route) -> Unit, back: () -> Unit) {
    val model = screenModel("findings-${route.inspectionId}") { FindingsViewModel(store, ioDispatcher, mainDispatcher) }
    val state by model.state.collectAsStateWithLifecycle()
    LaunchedEffect(route.inspectionId) { model.load(route.inspectionId) }

    ScreenFrame("隐患登记", state.loading, state.problem, back) {
        for (item in state.pending) {
            FindingForm(item) { location, photo, measures, kind ->
                model.raise(item.code, location, listOfNotNull(photo), measures, listOfNotNull(route.coInspector), kind = kind)
            }
        }
        for (h in state.raised) Text("${h.level} · ${h.description} · 期限 ${h.deadline}")
        // On-the-spot fixes (R6) are closed already: the order lists what must be rectified by a deadline.
        val forOrder = state.raised.filter { it.status == HazardStatus.RECTIFYING }.map { it.id }
        if (forOrder.isNotEmpty()) {
            Button(onClick = { go(Route.Order(forOrder, route.coInspector)) }) { Text("下达责令限期整改指令书") }
        }
    }
}

@Composable
private fun FindingForm(item: ChecklistItem, onRaise: (String, String?, String, HazardKind) -> Unit) {
    var location by rememberSaveable(item.code) { mutableStateOf("") }
    var kind by rememberSaveable(item.code) { mutableStateOf(HazardKind.UNSAFE_CONDITION) }
    var measures by rememberSaveable(item.code) { mutableStateOf("") }
    var photo by rememberSaveable(item.code) { mutableStateOf<String?>(null) }
    val camera = rememberCamera { photo = it }
    Column(Modifier.padding(vertical = 8.dp)) {
        Text("${item.code} ${item.question}")
        OutlinedTextField(location, { location = it }, label = { Text("部位") }, singleLine = true)
        OutlinedTextField(measures, { measures = it }, label = { Text("整改措施") })
        Row {
            for ((k, label) in KINDS) FilterChip(selected = kind == k, onClick = { kind = k }, label = { Text(label) })
        }
        Row {
            OutlinedButton(onClick = camera) { Text(if (photo == null) "拍整改前照片" else "重拍") }
            Button(onClick = { onRaise(location, photo, measures, kind) }) { Text("登记隐患") }
        }
    }
}

/** 隐患类别, as the inspector chooses it. */
private val KINDS = listOf(
    HazardKind.UNSAFE_CONDITION to "物的危险状态",
    HazardKind.UNSAFE_ACT to "人的不安全行为",
    HazardKind.MANAGEMENT_DEFECT to "管理上的缺陷",
)
