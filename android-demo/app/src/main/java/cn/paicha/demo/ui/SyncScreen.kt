package cn.paicha.demo.ui

import androidx.compose.foundation.layout.Row
import androidx.compose.material3.Button
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.getValue
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.paicha.PaichaStoreInterface
import cn.paicha.demo.Route
import cn.paicha.demo.ioDispatcher
import cn.paicha.demo.mainDispatcher
import cn.paicha.demo.model.SyncViewModel
import cn.paicha.demo.screenModel

/**
 * Sync with progress and cancel; afterwards, where to look (conflicts,
 * refused edits). The model lives in the activity's ViewModel store, so a
 * sync keeps running through a rotation and its progress keeps showing.
 */
@Composable
fun SyncScreen(store: PaichaStoreInterface, go: (Route) -> Unit, back: () -> Unit) {
    val model = screenModel("sync") { SyncViewModel(store, ioDispatcher, mainDispatcher) }
    val state by model.state.collectAsStateWithLifecycle()
    ScreenFrame("同步", state.loading, state.problem, back) {
        state.progress?.let { Text("上传 ${it.docsUp} · 下载 ${it.docsDown} · ${(it.bytesUp + it.bytesDown) / 1024} KB") }
        if (state.cancelled) Text("已取消：已保存的内容都在，未上传的下次同步")
        state.last?.let { Text("完成：上传 ${it.docsUp}，下载 ${it.docsDown}，照片 ${it.photosUp}/${it.photosDown}") }
        Row {
            Button(enabled = !state.running, onClick = { model.sync() }) { Text("立即同步") }
            OutlinedButton(enabled = state.running, onClick = { model.cancel() }) { Text("取消") }
        }
        if (state.conflicts > 0) OutlinedButton(onClick = { go(Route.Conflicts) }) { Text("冲突 ${state.conflicts}") }
        if (state.refused > 0) OutlinedButton(onClick = { go(Route.RefusedEdits) }) { Text("被拒绝 ${state.refused}") }
    }
}
