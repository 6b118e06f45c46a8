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

# ---- issue 17: what legacy municipal systems are full of

WINDOWS = """<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>台帳</title></head><body>
<a href="/popup-page?no=A-7" target="_blank">詳細を別ウィンドウで開く</a>
<button id="open" onclick="window.open('/popup-page?no=B-9', 'sub', 'width=400,height=300')">地図</button>
<a href="/files/report.csv" target="_blank">CSVを新しいタブで</a>
<div id="r"></div></body></html>"""

POPUP_PAGE = """<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>詳細画面</title>
</head><body>
<h1>詳細</h1><div id="no"></div>
<label for="memo">メモ</label><input id="memo">
<button onclick="window.opener.document.getElementById('r').textContent =
  document.getElementById('memo').value; window.close()">反映して閉じる</button>
<script>document.getElementById('no').textContent = new URLSearchParams(location.search).get('no')</script>
</body></html>"""

DIALOG_CHAIN = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<button id="d" onclick="r.textContent = prompt('世帯番号', '0001') ?? 'キャンセル'">既定値</button>
<button id="chain" onclick="if (confirm('登録しますか？')) { alert('登録しました'); r.textContent = '済' }
  else { r.textContent = '中止' }">登録</button>
<button id="surprise" onclick="alert('セッションの有効期限が近づいています')">確認</button>
<div id="r"></div></body></html>"""

ARIA_TABLE = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<div role="grid" aria-label="申請一覧" id="g">
  <div role="rowgroup">
    <div role="row"><span role="columnheader">受付番号</span><span role="columnheader">氏名</span>
      <span role="columnheader">状態</span></div>
  </div>
  <div role="rowgroup">
    <div role="row"><span role="gridcell">A-001</span><span role="gridcell">山田 太郎</span>
      <span role="gridcell">受付</span></div>
    <div role="row"><span role="rowheader">A-002</span><span role="gridcell">佐藤 花子</span>
      <span role="gridcell">完了</span></div>
  </div>
</div></body></html>"""

SPAN_TABLE = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<table id="s" border="1">
  <thead>
    <tr><th rowspan="2">地区</th><th colspan="2">人口</th><th rowspan="2">世帯数</th></tr>
    <tr><th>男</th><th>女</th></tr>
  </thead>
  <tbody>
    <tr><td rowspan="2">北区</td><td>100</td><td>110</td><td>90</td></tr>
    <tr><td>120</td><td>130</td><td>95</td></tr>
    <tr><td>南区</td><td colspan="2">非公表</td><td>80</td></tr>
  </tbody>
</table>
<table id="bare"><tr><td>1</td><td>交付</td></tr><tr><td>2</td><td>再交付</td></tr></table>
</body></html>"""

PAGED_TABLE = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<table id="p"><thead><tr><th>番号</th><th>氏名</th></tr></thead><tbody></tbody></table>
<button id="next" onclick="show(page + 1)">次へ</button>
<script>
const rows = [['1','青木'],['2','井上'],['3','上田'],['4','江藤'],['5','大野']];
let page = 0;
function show(n) {
  page = n;
  setTimeout(() => {  // the next page arrives a little later, as from a server
    document.querySelector('#p tbody').innerHTML = rows.slice(n * 2, n * 2 + 2)
      .map(r => '<tr><td>' + r[0] + '</td><td>' + r[1] + '</td></tr>').join('');
    document.getElementById('next').disabled = (n + 1) * 2 >= rows.length;
  }, 80);
}
show(0);
</script></body></html>"""

WIDGETS = """<!doctype html><html lang="ja"><head><meta charset="utf-8"><title>各種部品</title>
<style>#menu ul { display: none } #menu:hover ul { display: block }</style></head><body>
<div id="menu"><span>メニュー</span>
<ul><li><a href="#" onclick="r.textContent='届出'">届出</a></li></ul></div>
<label for="docs">必要書類</label>
<select id="docs" multiple><option value="a">住民票</option><option value="b">印鑑証明</option>
<option value="c">戸籍謄本</option></select>
<ul id="list"><li class="hit">一</li><li class="hit">二</li><li class="hit">三</li></ul>
<div id="status">受付済 (2026-12-03)</div>
<div id="r"></div></body></html>"""

ASSETS = """<!doctype html><html lang="ja"><head><meta charset="utf-8">
<script src="https://code.jquery.example/jquery-3.7.1.min.js"></script>
<script src="https://cdn.blocked.example/analytics.js"></script>
<script src="https://cdn.blocked.example/other.js"></script></head><body>
<div id="r">未実行</div>
<script>if (window.jQueryLike) { window.jQueryLike('#r', '読み込み済') }</script>
</body></html>"""

GROUP_LABEL = """<!doctype html><html lang="ja"><head><meta charset="utf-8"></head><body>
<fieldset><legend>生年月日</legend>
<label>生年月日 年<input id="y" size="4"></label><label>生年月日 月<input id="m" size="2"></label>
<label>生年月日 日<input id="d" size="2"></label></fieldset></body></html>"""
