// Pieces every screen uses: the frame with title, spinner and problem.
package cn.paicha.demo.ui

import androidx.compose.foundation.layout.Column
import androidx.compose.foundation.layout.ColumnScope
import androidx.compose.foundation.layout.Row
import androidx.compose.foundation.layout.fillMaxSize
import androidx.compose.foundation.layout.fillMaxWidth
import androidx.compose.foundation.layout.padding
import androidx.compose.foundation.rememberScrollState
import androidx.compose.foundation.verticalScroll
import androidx.compose.material3.LinearProgressIndicator
import androidx.compose.material3.MaterialTheme
import androidx.compose.material3.Text
import androidx.compose.material3.TextButton
import androidx.compose.runtime.Composable
import androidx.compose.ui.Modifier
import androidx.compose.ui.unit.dp
import cn.paicha.demo.model.Problem

/**
 * A screen: title, back, a progress bar while an action runs, the last
 * action's problem (with its rule), then the content, scrollable.
 */
@Composable
fun ScreenFrame(
    title: String,
    loading: Boolean,
    problem: Problem?,
    onBack: (() -> Unit)?,
    content: @Composable ColumnScope.() -> Unit,
) {
    Column(Modifier.fillMaxSize().padding(16.dp).verticalScroll(rememberScrollState())) {
        Row {
            if (onBack != null) TextButton(onClick = onBack) { Text("← 返回") }
            Text(title, style = MaterialTheme.typography.titleLarge, modifier = Modifier.padding(8.dp))
        }
        if (loading) LinearProgressIndicator(Modifier.fillMaxWidth())
        if (problem != null) {
            val rule = problem.rule?.let { "（$it）" } ?: ""
            Text(problem.message + rule, color = MaterialTheme.colorScheme.error, modifier = Modifier.padding(vertical = 8.dp))
        }
        content()
    }
}
