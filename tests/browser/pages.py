"""Small Japanese HTML pages the browser tests serve on 127.0.0.1."""

from __future__ import annotations

FORM = """<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>申請フォーム</title></head><body>
<h1>住民票交付申請</h1>
<form id="f" onsubmit="event.preventDefault(); register();">
  <label for="name">氏名</label><input id="name" name="name">
  <label for="kana">フリガナ</label><input id="kana" placeholder="ヤマダ タロウ">
  <label for="kind">請求の種類</label>
  <select id="kind"><option value="">選択してください</option><option value="juminhyo">住民票の写し</option>
    <option value="kisai">住民票記載事項証明書</option></select>
  <label><input type="checkbox" id="mail"> 郵送希望</label>
  <label><input type="checkbox" id="urgent" checked> 至急</label>
  <label for="memo">備考</label><textarea id="memo"></textarea>
  <input data-testid="copies" id="copies" value="1" aria-label="部数">
  <label for="file">添付</label><input type="file" id="file">
  <button type="submit" id="submit">登録</button>
</form>
<button class="del">削除</button><button class="del">削除</button>
<div id="out"></div><div id="receipt-no"></div><div id="status"></div>
<a id="keys" href="#">key</a>
<table id="t">
  <thead><tr><th>受付番号</th><th>氏名</th><th></th><th>氏名</th></tr></thead>
  <tbody><tr><td>A-001</td><td>山田 太郎</td><td>済</td><td>x</td></tr>
  <tr><td>A-002</td><td>佐藤 花子</td><td>未</td><td>y</td><td>extra</td></tr></tbody>
</table>
<table id="plain"><tr><th>項目</th><th>値</th></tr><tr><td>人口</td><td>12,345</td></tr></table>
<script>
function register() {
  const files = document.getElementById('file').files;
  document.getElementById('out').textContent = [
    document.getElementById('name').value, document.getElementById('kana').value,
    document.getElementById('kind').value, document.getElementById('mail').checked,
    document.getElementById('urgent').checked, document.getElementById('memo').value,
    files.length ? files[0].name : ''].join('|');
  document.getElementById('status').textContent = '登録しました';
  document.getElementById('receipt-no').textContent = 'R-2026-0001';
}
document.getElementById('memo').addEventListener('keydown', e => {
  if (e.key === 'Enter') document.getElementById('status').textContent = 'Enter pressed';
});
</script></body></html>"""

DELAYED = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<div id="box"></div>
<script>
setTimeout(() => { document.getElementById('box').innerHTML = '<p id="late">検索結果 3 件</p>'; }, 300);
setTimeout(() => { history.pushState({}, '', '/delayed/done'); }, 400);
</script></body></html>"""

BUSY = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<label for="q">検索語</label><input id="q">
<script>setInterval(() => fetch('/form'), 150);  // the page never goes quiet (polling)</script>
</body></html>"""

FALLBACK = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<label for="new">お名前（新）</label><input id="new">
<script>setTimeout(() => { document.body.insertAdjacentHTML('beforeend',
  '<button id="late-btn">検索</button>'); }, 300);</script>
</body></html>"""

FRAME_HOST = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<h1>親ページ</h1><iframe id="inner" src="/frame-inner"></iframe></body></html>"""

FRAME_INNER = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<label for="note">連絡事項</label><input id="note">
<button onclick="document.getElementById('r').textContent = '受付:' + document.getElementById('note').value">
送信</button><div id="r"></div></body></html>"""

DIALOG = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<button id="c" onclick="r.textContent = confirm('削除しますか？') ? 'はい' : 'いいえ'">削除</button>
<button id="p" onclick="r.textContent = prompt('理由は？') || '空'">理由</button>
<div id="r"></div></body></html>"""

DOWNLOAD = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<a href="/files/report.csv">CSVをダウンロード</a></body></html>"""

VALIDATE = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<form onsubmit="event.preventDefault(); check();">
<label for="name">氏名</label><input id="name"><button type="submit">登録</button></form>
<p hidden>登録しました (hidden copy earlier in the page)</p>
<div class="error" hidden></div><div id="ok" hidden>登録しました</div>
<script>
function check() {
  const v = document.getElementById('name').value;
  setTimeout(() => {
    const e = document.querySelector('.error');
    if (!v) { e.textContent = '氏名を入力してください'; e.hidden = false; }
    else { document.getElementById('ok').hidden = false; }
  }, 100);
}
</script></body></html>"""

LINKS = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<a id="evil" href="http://evil.example/steal">外部サイト</a>
<a id="sub" href="http://sub.localhost:{port}/form">サブドメイン</a>
<a id="boom" href="/boom">エラー</a>
<img src="http://tracker.example/pixel.gif">
</body></html>"""

PERSONAL = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<label for="mn">個人番号</label><input id="mn" value="1234 5678 9018">
<label for="mail">メール</label><input id="mail" value="taro@example.jp">
<label for="pw">パスワード</label><input id="pw" type="password" value="hunter22">
<label for="city">市区町村</label><input id="city" value="横浜市">
<label for="tel">電話</label><input id="tel" value="045-123-4567">
<label for="born">生年月日</label><input id="born" value="2026-11-26">
<p id="addr">横浜市中区1-1</p></body></html>"""
