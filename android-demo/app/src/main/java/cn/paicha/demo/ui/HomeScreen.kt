package cn.paicha.demo.ui

import androidx.compose.material3.Button
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.paicha.Role
import cn.paicha.demo.Route
import cn.paicha.demo.model.SessionViewModel

/** What the signed-in user can do, by role (R2): the inspector inspects, the enterprise rectifies, the supervisor reviews. */
@Composable
fun HomeScreen(session: SessionViewModel, go: (Route) -> Unit) {
    val state by session.state.collectAsStateWithLifecycle()
    val scope = state.scope ?: return
    ScreenFrame("${scope.name}（${scope.role}）", state.loading, state.problem, onBack = null) {
        Text(if (scope.wholeDistrict) "全区" else scope.townships.joinToString("、").ifEmpty { scope.enterprise ?: "" })
        when (scope.role) {
            Role.INSPECTOR -> Button(onClick = { go(Route.Picker) }) { Text("选择企业 · 开始检查") }
            Role.ENTERPRISE -> Button(onClick = { go(Route.Evidence) }) { Text("隐患整改 · 提交证据") }
            else -> Button(onClick = { go(Route.Review) }) { Text("复查队列") }
        }
        Button(onClick = { go(Route.Sync) }) { Text("同步") }
        Button(onClick = { go(Route.Conflicts) }) { Text("冲突") }
        Button(onClick = { go(Route.RefusedEdits) }) { Text("被拒绝的修改") }
    }
}
