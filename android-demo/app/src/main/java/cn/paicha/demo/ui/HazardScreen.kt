package cn.paicha.demo.ui

import android.graphics.BitmapFactory
import androidx.compose.foundation.Image
import androidx.compose.foundation.layout.Row
import androidx.compose.material3.Button
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.graphics.asImageBitmap
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.paicha.PaichaStoreInterface
import cn.paicha.demo.ioDispatcher
import cn.paicha.demo.mainDispatcher
import cn.paicha.demo.model.HazardDetailViewModel
import cn.paicha.demo.screenModel

/** One hidden danger: photos, history (R1), open conflicts, and corrections while it is open. */
@Composable
fun HazardScreen(store: PaichaStoreInterface, hazardId: String, back: () -> Unit) {
    val model = screenModel("hazard-$hazardId") { HazardDetailViewModel(store, ioDispatcher, mainDispatcher) }
    val state by model.state.collectAsStateWithLifecycle()
    var description by rememberSaveable { mutableStateOf("") }
    LaunchedEffect(hazardId) { model.open(hazardId) }

    ScreenFrame("隐患详情", state.loading, state.problem, back) {
        val h = state.hazard ?: return@ScreenFrame
        Text("${h.enterpriseName} · ${h.location} · ${h.level} · ${h.status} · 期限 ${h.deadline}")
        Text(h.description)
        Row { for ((i, sha) in h.beforePhotos.withIndex()) OutlinedButton(onClick = { model.showPhoto(sha) }) { Text("照片${i + 1}") } }
        state.photo?.let { bytes ->
            // Decoding a photo is quick next to reading it (done on IO by the model); a bad one shows nothing.
            val bitmap = remember(bytes) { BitmapFactory.decodeByteArray(bytes, 0, bytes.size) }
            if (bitmap != null) Image(bitmap.asImageBitmap(), contentDescription = "照片")
        }
        for (c in h.conflicts) Text("冲突: ${c.message}")
        for (e in h.history) Text("${e.personName} · ${e.summary}${if (e.applied) "" else "（未生效）"}")
        OutlinedTextField(description, { description = it }, label = { Text("更正描述") })
        Button(enabled = description.isNotBlank(), onClick = { model.edit(description = description) }) { Text("保存更正") }
    }
}
