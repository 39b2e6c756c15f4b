"""Output capture: the tee streams, the record as a terminal shows it, and its cost."""

import contextlib
import io
import os
import sys
import threading
import time

import pytest

from ba3l.run._output import LineReducer, OutputCapture, reduce_carriage_returns


def tqdm_like(total: int, width: int = 20) -> str:
    """What a tqdm bar writes: ``\\r`` and the redrawn line at each update, a line end at the close."""
    updates = []
    for done in range(total + 1):
        filled = done * width // total
        updates.append(f"\r{done * 100 // total:3d}%|{'█' * filled}{' ' * (width - filled)}| {done}/{total}")
    return "".join(updates) + "\n"


# --- reduce_carriage_returns ---------------------------------------------------------------


def test_text_after_a_carriage_return_overwrites_the_line():
    assert reduce_carriage_returns("10%\r50%\r100%\n") == "100%\n"


def test_a_tqdm_bar_leaves_its_final_state_between_other_lines():
    text = "epoch 1\n" + tqdm_like(50) + "done\n"
    assert reduce_carriage_returns(text) == f"epoch 1\n100%|{'█' * 20}| 50/50\ndone\n"


def test_a_shorter_redraw_overwrites_only_its_own_width_as_a_terminal_does():
    assert reduce_carriage_returns("100%\r50%\n") == "50%%\n"
    assert reduce_carriage_returns("abcdef\rxy\rz\n") == "zycdef\n"
    assert reduce_carriage_returns("ab\rabcd\rx\n") == "xbcd\n"


def test_windows_line_ends_are_plain_line_ends():
    assert reduce_carriage_returns("one\r\ntwo\r\n") == "one\ntwo\n"


def test_empty_text_and_plain_text_are_unchanged():
    assert reduce_carriage_returns("") == ""
    assert reduce_carriage_returns("\n\n") == "\n\n"
    assert reduce_carriage_returns("plain\ntext") == "plain\ntext"


def test_two_bars_on_one_line_each_keep_their_final_state():
    # an outer bar's text, then an inner bar redrawn after it, all on one line
    line = "epoch 1/2 " + "".join(f"\repoch 1/2 batch {i}/3" for i in range(4)) + "\n"
    line += "".join(f"\repoch 2/2 batch {i}/3" for i in range(4)) + "\n"
    assert reduce_carriage_returns(line) == "epoch 1/2 batch 3/3\nepoch 2/2 batch 3/3\n"


def test_erase_line_sequences():
    assert reduce_carriage_returns("abcdef\rxy\x1b[K\n") == "xy\n"
    assert reduce_carriage_returns("abcdef\rxy\x1b[0K\n") == "xy\n"
    assert reduce_carriage_returns("long old text\r\x1b[2Knew\n") == "new\n"
    assert reduce_carriage_returns("abc\x1b[2K\rx\n") == "x  \n"  # cleared cells show as blanks


def test_backspace_moves_the_cursor_back():
    assert reduce_carriage_returns("ab\bX\n") == "aX\n"
    assert reduce_carriage_returns("\b\bok\n") == "ok\n"


def test_colour_sequences_are_kept_and_cursor_up_is_dropped():
    assert reduce_carriage_returns("\x1b[31mred\x1b[0m\n") == "\x1b[31mred\x1b[0m\n"
    assert reduce_carriage_returns("inner 1\x1b[A\n") == "inner 1\n"


def test_a_million_redraws_cost_linear_time():
    text = tqdm_like(200_000)
    started = time.perf_counter()
    reduced = reduce_carriage_returns(text)
    assert time.perf_counter() - started < 0.5
    assert reduced == f"100%|{'█' * 20}| 200000/200000\n"


def test_redraws_with_controls_also_cost_linear_time():
    text = "".join(f"\r\x1b[2K\x1b[32m{i}\x1b[0m" for i in range(200_000)) + "\n"
    started = time.perf_counter()
    reduced = reduce_carriage_returns(text)
    # a few microseconds a redraw (the tokens go through Python); quadratic would take hours
    assert time.perf_counter() - started < 3.0
    assert reduced == "\x1b[0m\x1b[32m199999\x1b[0m\n"  # the colours in force, in order


def test_the_streaming_reducer_gives_the_same_text_however_the_input_is_cut():
    text = "a\r\nhead\n" + tqdm_like(30) + "x\x1b[2Ky\rz\x1b[31mq\x1b[0m\nend\rEND"
    whole = reduce_carriage_returns(text)
    for size in (1, 2, 3, 7, 64):
        reducer = LineReducer()
        pieces = [reducer.feed(text[i : i + size]) for i in range(0, len(text), size)]
        assert "".join(pieces) + reducer.flush() == whole


# --- OutputCapture -----------------------------------------------------------------------


@contextlib.contextmanager
def terminals(out=None, err=None):
    """Real text streams in place of stdout and stderr for a while. (Not a fixture: pytest
    puts its own capture back in place between a test's setup and its body.)"""
    out = io.StringIO() if out is None else out
    err = io.StringIO() if err is None else err
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        yield out, err
    finally:
        sys.stdout, sys.stderr = saved


def test_the_user_still_sees_everything_and_the_record_has_both_streams():
    with terminals() as (out, err):
        capture = OutputCapture()
        capture.start()
        print("to stdout")
        print("to stderr", file=sys.stderr)
        capture.stop()
        assert (sys.stdout, sys.stderr) == (out, err)
    assert out.getvalue() == "to stdout\n"
    assert err.getvalue() == "to stderr\n"
    assert capture.take() == "to stdout\nto stderr\n"


def test_take_hands_over_only_what_is_new():
    with terminals(), OutputCapture() as capture:
        print("one")
        assert capture.take() == "one\n"
        print("two")
        assert capture.take() == "two\n"
        assert capture.take() == ""


def test_an_unfinished_line_waits_for_its_end_or_the_final_take():
    with terminals() as (out, _), OutputCapture() as capture:
        sys.stdout.write("done\n 10%")
        assert capture.take() == "done\n"
        sys.stdout.write("\r 50%")
        assert capture.take() == ""
        sys.stdout.write("\r100%\n\r 20%")
        assert capture.take() == "100%\n"
        sys.stdout.write("\r 90%")
    assert capture.take(final=True) == " 90%"
    assert out.getvalue() == "done\n 10%\r 50%\r100%\n\r 20%\r 90%"


def test_a_control_sequence_split_across_writes_still_works():
    with terminals(), OutputCapture() as capture:
        sys.stdout.write("old text\r\x1b[")
        assert capture.take() == ""
        sys.stdout.write("2Knew\n")
        assert capture.take() == "new\n"


def test_many_small_redraws_through_the_tee_stay_cheap():
    with terminals(), OutputCapture() as capture:
        started = time.perf_counter()
        for i in range(200_000):
            sys.stdout.write(f"\r{i:>6}/200000")
            if i % 1000 == 0:  # a pending line re-read at each take would make this quadratic
                capture.take()
        sys.stdout.write("\n")
        taken = capture.take(final=True)
        elapsed = time.perf_counter() - started
    assert taken.endswith("199999/200000\n")
    assert taken.count("\n") == 1
    assert elapsed < 2.0


def test_much_output_between_takes_is_held_reduced():
    with terminals(), OutputCapture() as capture:
        for i in range(150_000):
            sys.stdout.write(f"\r{i:>6} {'#' * 40}")
        held = sum(len(text) for text in capture._raw) + sum(len(text) for text in capture._ready)
        assert held < 2 * 2**20  # not the 7 MB written
        sys.stdout.write("\n")
        assert capture.take() == f"149999 {'#' * 40}\n"


def test_stop_restores_exactly_what_was_there_and_a_capture_can_start_again():
    with terminals() as (out, err):
        capture = OutputCapture()
        for word in ("first", "second"):
            capture.start()
            assert sys.stdout is not out
            print(word)
            capture.stop()
            assert (sys.stdout, sys.stderr) == (out, err)
        print("not captured")
    assert capture.take() == "first\nsecond\n"


def test_nested_captures_each_see_their_own_span():
    with terminals() as (out, err):
        outer, inner = OutputCapture(), OutputCapture()
        outer.start()
        print("outer only")
        inner.start()
        print("both")
        inner.stop()
        print("outer again")
        outer.stop()
        assert (sys.stdout, sys.stderr) == (out, err)
    assert outer.take() == "outer only\nboth\nouter again\n"
    assert inner.take() == "both\n"
    assert out.getvalue() == "outer only\nboth\nouter again\n"


def test_stopping_out_of_order_leaves_the_later_stream_in_place():
    with terminals() as (out, _):
        outer, inner = OutputCapture(), OutputCapture()
        outer.start()
        inner.start()
        outer.stop()  # inner's tee stays; outer's, under it, only passes text through now
        print("after outer stopped")
        inner.stop()
        assert sys.stdout is not out  # outer's pass-through tee: what inner found at its start
        print("still reaches the terminal")
    assert outer.take() == ""
    assert inner.take() == "after outer stopped\n"
    assert out.getvalue() == "after outer stopped\nstill reaches the terminal\n"


def test_starting_twice_is_an_error_and_stopping_twice_is_harmless():
    with terminals():
        capture = OutputCapture()
        capture.start()
        with pytest.raises(RuntimeError, match="already started"):
            capture.start()
        capture.stop()
        capture.stop()
        assert not capture.active


def test_the_tee_behaves_like_the_stream_it_replaces(tmp_path):
    file = open(tmp_path / "out.txt", "w", encoding="latin-1")  # noqa: SIM115
    with file, terminals(out=file), OutputCapture() as capture:
        tee = sys.stdout
        assert tee.write("héllo\n") == 6
        assert tee.fileno() == file.fileno()
        assert tee.encoding == "latin-1"
        assert tee.isatty() is False
        assert tee.buffer is file.buffer
        assert tee.writable()
        tee.writelines(["a\n", "b\n"])
        tee.flush()
        assert (tmp_path / "out.txt").read_text(encoding="latin-1") == "héllo\na\nb\n"
        with pytest.raises(TypeError):
            tee.write(b"bytes")
    assert capture.take() == "héllo\na\nb\n"


def test_the_tee_reports_a_terminal_as_a_terminal():
    leader, follower = os.openpty()
    try:
        terminal = open(follower, "w", closefd=False)  # noqa: SIM115
        with terminal, terminals(out=terminal), OutputCapture():
            assert sys.stdout.isatty()
            assert sys.stdout.fileno() == follower
            assert not sys.stderr.isatty()
    finally:
        os.close(leader)
        os.close(follower)


def test_a_missing_stream_is_captured_alone():
    saved = sys.stdout
    sys.stdout = None  # as under pythonw
    try:
        with OutputCapture() as capture:
            print("nowhere to go")
            assert not sys.stdout.isatty()
        assert sys.stdout is None
    finally:
        sys.stdout = saved
    assert capture.take() == "nowhere to go\n"


def test_threads_writing_at_once_lose_nothing():
    def chatter(name):
        for i in range(2000):
            sys.stdout.write(f"{name} {i}\n")

    with terminals(), OutputCapture() as capture:
        threads = [threading.Thread(target=chatter, args=(f"t{n}",)) for n in range(8)]
        taken = []
        for thread in threads:
            thread.start()
        while any(thread.is_alive() for thread in threads):
            taken.append(capture.take())
        for thread in threads:
            thread.join()
        taken.append(capture.take(final=True))
    lines = "".join(taken).splitlines()
    assert sorted(lines) == sorted(f"t{n} {i}" for n in range(8) for i in range(2000))
