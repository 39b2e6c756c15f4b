"""Git state: a real repository, clean then dirty, its remote without credentials."""

import shutil
import subprocess

import pytest

from ba3l.run import _git_state
from ba3l.run._git_state import capped_diff, git_state, without_credentials

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")


def git(folder, *arguments):
    done = subprocess.run(["git", "-C", str(folder), *arguments], capture_output=True, text=True, check=True)
    return done.stdout.strip()


@pytest.fixture
def repository(tmp_path, monkeypatch):
    """A repository with one commit of ``train.py``, under a folder git does not look above."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    folder = tmp_path / "project"
    folder.mkdir()
    git(folder, "init", "--quiet")
    git(folder, "config", "user.name", "Test")
    git(folder, "config", "user.email", "test@example.com")
    git(folder, "config", "commit.gpgsign", "false")
    (folder / "train.py").write_text("lr = 0.1\n")
    git(folder, "add", "train.py")
    git(folder, "commit", "--quiet", "-m", "first")
    return folder


def test_a_clean_repository(repository):
    state = git_state(str(repository))
    assert state == {
        "path": git(repository, "rev-parse", "--show-toplevel"),
        "url": None,
        "commit": git(repository, "rev-parse", "HEAD"),
        "dirty": False,
    }
    assert len(state["commit"]) == 40


def test_a_file_or_a_subfolder_finds_its_repository(repository):
    (repository / "models").mkdir()
    assert git_state(str(repository / "train.py"))["commit"] == git(repository, "rev-parse", "HEAD")
    assert git_state(str(repository / "models"))["path"] == git(repository, "rev-parse", "--show-toplevel")


def test_a_changed_tracked_file_makes_it_dirty_with_its_diff(repository):
    (repository / "train.py").write_text("lr = 0.01\n")
    state = git_state(str(repository))
    assert state["dirty"] is True
    assert "-lr = 0.1\n+lr = 0.01\n" in state["diff"]
    assert state["diff"] == git(repository, "diff", "HEAD") + "\n"


def test_staged_changes_count_and_untracked_files_do_not(repository):
    (repository / "scratch.txt").write_text("notes\n")
    assert git_state(str(repository))["dirty"] is False
    (repository / "model.py").write_text("hidden = 128\n")
    git(repository, "add", "model.py")
    state = git_state(str(repository))
    assert state["dirty"] is True
    assert "+hidden = 128" in state["diff"]
    assert "notes" not in state["diff"]


def test_the_origin_remote_wins_and_loses_its_credentials(repository):
    git(repository, "remote", "add", "backup", "https://example.org/backup.git")
    assert git_state(str(repository))["url"] == "https://example.org/backup.git"
    git(repository, "remote", "add", "origin", "https://user:ghp_secret@github.com/team/project.git")
    assert git_state(str(repository))["url"] == "https://github.com/team/project.git"


def test_credentials_are_removed_from_urls():
    assert without_credentials("https://user:token@host/x.git") == "https://host/x.git"
    assert without_credentials("https://ghp_token@github.com/x.git") == "https://github.com/x.git"
    assert without_credentials("http://u:p@host:8080/x.git") == "http://host:8080/x.git"
    assert without_credentials("ssh://git:pw@host:22/x.git") == "ssh://git@host:22/x.git"
    assert without_credentials("ssh://git@host/x.git") == "ssh://git@host/x.git"
    assert without_credentials("git@github.com:team/x.git") == "git@github.com:team/x.git"
    assert without_credentials("https://github.com/team/x.git") == "https://github.com/team/x.git"
    assert without_credentials("/srv/git/x.git") == "/srv/git/x.git"


def test_a_folder_outside_any_repository_gives_none(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    (tmp_path / "plain").mkdir()
    assert git_state(str(tmp_path / "plain")) is None


def test_a_repository_without_commits_gives_none(tmp_path, monkeypatch):
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    folder = tmp_path / "empty"
    folder.mkdir()
    git(folder, "init", "--quiet")
    assert git(folder, "rev-parse", "--show-toplevel")  # a repository, found
    assert git_state(str(folder)) is None


def test_git_missing_gives_none(repository, monkeypatch):
    monkeypatch.setenv("PATH", str(repository / "no-git-here"))
    assert git_state(str(repository)) is None


def test_a_git_hook_environment_does_not_redirect_the_lookup(repository, tmp_path, monkeypatch):
    commit = git(repository, "rev-parse", "HEAD")
    other = tmp_path / "other"
    other.mkdir()
    git(other, "init", "--quiet")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))  # as while a hook of another repository runs
    assert git_state(str(repository))["commit"] == commit


def test_a_large_diff_is_cut_at_a_line_with_a_note(repository, monkeypatch):
    monkeypatch.setattr(_git_state, "DIFF_LIMIT", 2000)
    (repository / "train.py").write_text("".join(f"line {i}\n" for i in range(1000)))
    full = git(repository, "diff", "HEAD")
    diff = git_state(str(repository))["diff"]
    kept, _, note = diff.rstrip("\n").rpartition("\n")
    assert note == f"[ba3l: diff cut at {len(kept) + 1} of {len(full) + 1} bytes]"
    assert len(kept) + 1 <= 2000
    assert full.startswith(kept + "\n")


def test_capped_diff_keeps_small_diffs_whole():
    assert capped_diff(b"a\nb\n", limit=10) == "a\nb\n"
    assert capped_diff(b"a\nbbbbbbbbbbbb\n", limit=10) == "a\n[ba3l: diff cut at 2 of 15 bytes]\n"
