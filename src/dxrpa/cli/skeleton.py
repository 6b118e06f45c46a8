"""``dxrpa robots new NAME``: a commented robot skeleton that validates as written.

Staff start from a file that already has every section in the right place, with Japanese
comments saying what to fill in, and the editor ``$schema`` line for completion.
"""

from __future__ import annotations

from pathlib import Path

import typer

from dxrpa.config import load_settings
from dxrpa.errors import UsageError
from dxrpa.fileio import atomic_path
from dxrpa.i18n import tr
from dxrpa.model.robot import NAME_RE

SKELETON = """\
# yaml-language-server: $schema=robot.schema.json
# ↑ エディタ (VS Code + YAML 拡張) の補完用。robot.schema.json は次で作れます:
#     dxrpa robots schema > robots/robot.schema.json
# 書き終えたら確かめます:  dxrpa robots validate robots/{name}.yaml
# ページで指定できる要素は: dxrpa inspect URL   操作を記録するなら: dxrpa record URL
name: {name}                      # ファイル名 ({name}.yaml) と同じにします
title: (ロボットの題名)           # 一覧や台帳に出る名前
department: (担当課)              # 例: 市民課
owner: (担当係・担当者)
baseline:
  minutes_per_item: 5             # 職員が手作業で 1 件に掛かる分数 (削減時間の計算に使います)
env: [APP_URL]                    # ロボットが読める環境変数 (URL など)。ここに書いたものだけ
# secrets: [APP_USER, APP_PASSWORD]   # ID・パスワードは secrets に。値は dxrpa secrets set で登録
data:
  excel: data/{name}.xlsx         # 1 行 = 1 件。1 行目は見出し (列名)
  key: 受付番号                   # 行を見分ける列。同じ行を二重に入力しません
# setup:                          # 最初に 1 回だけ (ログインなど)
#   - goto: "{{{{ env.APP_URL }}}}/login"
#   - fill: {{label: ユーザーID, value: "{{{{ secret.APP_USER }}}}"}}
#   - fill: {{label: パスワード, value: "{{{{ secret.APP_PASSWORD }}}}"}}
#   - click: {{role: button, name: ログイン}}
item:                             # 1 件ごとの手順。上から順に実行します
  - goto: "{{{{ env.APP_URL }}}}/"
  - fill: {{label: 氏名, value: "{{{{ item.氏名 }}}}"}}     # 画面の項目名 (label) と Excel の列名
  - click: {{role: button, name: 登録, submit: true}}  # 最後の登録ボタン: --dry-run では押しません
  - expect: {{text: 登録しました, business_error: 登録できませんでした}}
# verify:                         # 中断のあと、登録済みか確かめる手順 (任意)
#   - goto: "{{{{ env.APP_URL }}}}/search?q={{{{ item.受付番号 }}}}"
#   - expect: {{visible: {{css: "#results"}}, business_error: 未登録}}
retries: 2                        # システムエラー (通信など) のときのやり直し回数
# schedule:                       # 定期実行 (登録と承認のあとで有効になります)
#   - cron: "0 8 * * *"
#     days: office                # 開庁日だけ
"""


def robot_skeleton(name: str) -> str:
    """The skeleton text of robot ``name`` (a valid robot, comments in Japanese)."""
    return SKELETON.format(name=name)


def new_robot(
    name: str = typer.Argument(..., help="robot name: lowercase letters, digits and '_'"),
    folder: Path = typer.Option(None, "--dir", help="folder of robot files (default: robots_dir)"),
) -> None:
    """ロボットのひな形を作ります / write a commented robot skeleton robots/NAME.yaml."""
    if not NAME_RE.match(name):
        raise UsageError(
            tr(f"ロボット名 '{name}' は使えません", f"robot name '{name}' is not allowed"),
            hint=tr(
                "英小文字で始め、英小文字・数字・「_」だけで 2〜64 文字にしてください (例: juminhyo_entry)",
                "use lowercase letters, digits and '_' (2–64 chars), starting with a letter",
            ),
        )
    target = (folder or Path(load_settings().robots_dir)) / f"{name}.yaml"
    if target.exists():
        raise UsageError(
            tr(f"{target} はもうあります", f"{target} already exists"),
            hint=tr("別の名前にするか、今のファイルを直してください", "pick another name or edit that file"),
        )
    with atomic_path(target, mode=0o644) as tmp:
        tmp.write_text(robot_skeleton(name), encoding="utf-8")
    typer.echo(
        tr(
            f"{target} を作りました。書き換えたら dxrpa robots validate {target} で確かめてください",
            f"wrote {target}; edit it, then check it with dxrpa robots validate {target}",
        )
    )


def register(app: typer.Typer) -> None:
    """Add ``robots new`` to the ``robots`` command group."""
    from dxrpa.cli.core import robots_app

    robots_app.command("new")(new_robot)
