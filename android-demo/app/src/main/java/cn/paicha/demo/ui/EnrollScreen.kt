package cn.paicha.demo.ui

import androidx.activity.compose.rememberLauncherForActivityResult
import androidx.activity.result.contract.ActivityResultContracts
import androidx.compose.foundation.layout.Row
import androidx.compose.material3.Button
import androidx.compose.material3.OutlinedButton
import androidx.compose.material3.OutlinedTextField
import androidx.compose.material3.Text
import androidx.compose.runtime.Composable
import androidx.compose.runtime.LaunchedEffect
import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.saveable.rememberSaveable
import androidx.compose.runtime.setValue
import androidx.compose.ui.platform.LocalContext
import androidx.lifecycle.compose.collectAsStateWithLifecycle
import cn.paicha.demo.model.SessionViewModel
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext

/**
 * Enroll with the district's code, or sign in again (the enrolled user,
 * offline), or try the demo district. The district's CA certificate (for a
 * server with a certificate from its own CA) is picked as a file and
 * trusted before enrolling.
 */
@Composable
fun EnrollScreen(model: SessionViewModel, deviceId: String, onSignedIn: () -> Unit) {
    val state by model.state.collectAsStateWithLifecycle()
    var url by rememberSaveable { mutableStateOf("https://") }
    var code by rememberSaveable { mutableStateOf("") }
    var caPem by rememberSaveable { mutableStateOf<String?>(null) }
    val context = LocalContext.current
    val scope = rememberCoroutineScope()
    val pickCa = rememberLauncherForActivityResult(ActivityResultContracts.OpenDocument()) { uri ->
        if (uri != null) scope.launch {
            caPem = withContext(Dispatchers.IO) {
                context.contentResolver.openInputStream(uri)?.use { it.readBytes().decodeToString() }
            }
        }
    }
    LaunchedEffect(Unit) { model.resume() }
    LaunchedEffect(state.scope) { if (state.scope != null) onSignedIn() }

    ScreenFrame("排查 · 登记本机", state.loading, state.problem, onBack = null) {
        Text("本机编号 device id: $deviceId（区里用它登记本机并给出登记码）")
        OutlinedTextField(url, { url = it }, label = { Text("服务器地址") }, singleLine = true)
        OutlinedTextField(code, { code = it }, label = { Text("登记码") }, singleLine = true)
        Row {
            OutlinedButton(onClick = { pickCa.launch(arrayOf("application/x-pem-file", "text/plain", "*/*")) }) {
                Text(if (caPem == null) "区CA证书（可选）" else "已选CA证书")
            }
            Button(enabled = !state.loading && code.isNotBlank(), onClick = { model.enroll(url, code, caPem) }) {
                Text("登记")
            }
        }
        Text("无服务器演示（离线）:")
        Row {
            OutlinedButton(onClick = { model.signInDemo("insp-wang") }) { Text("检查员 王检查") }
            OutlinedButton(onClick = { model.signInDemo("sup-chen") }) { Text("监管 陈监管") }
            OutlinedButton(onClick = { model.signInDemo("ent-a") }) { Text("企业") }
        }
    }
}
