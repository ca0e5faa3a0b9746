"""Emission of control forms: if, cond, and, or, block, break, while, quote, emit, match."""

from __future__ import annotations

from vm.compiler.state import BlockInfo, Label


class ControlForms:
    """compile_<form> methods for control flow, mixed into the Compiler."""

    def compile_if(self, form, tail):
        #     <cond>
        #     JumpIfFalse else
        #     <then>
        #     Jump end          (Return instead, in tail position)
        # else:
        #     <else or nil>
        # end:
        items = form.value
        if len(items) not in (3, 4):
            self.malformed(form, "if", "(if cond then else?)")
        fs = self.fs
        other, end = Label(), Label()
        self.compile(items[1])
        fs.emit_jump("JumpIfFalse", other)
        self.compile(items[2], tail)
        if tail:
            # In tail position the continuation is the function's return.
            fs.emit("Return")
        else:
            fs.emit_jump("Jump", end)
        fs.place(other)
        if len(items) == 4:
            self.compile(items[3], tail)
        else:
            fs.emit_const(None)
        fs.place(end)

    def compile_cond(self, form, tail):
        # Flat test/body pairs become nested ifs; an odd last form is the default.
        items = form.value[1:]
        if not items:
            self.fs.emit_const(None)
            return
        fs = self.fs
        end = Label()
        for i in range(0, len(items) - 1, 2):
            nxt = Label()
            self.compile(items[i])
            fs.emit_jump("JumpIfFalse", nxt)
            self.compile(items[i + 1], tail)
            fs.emit_jump("Jump", end)
            fs.place(nxt)
        if len(items) % 2:
            self.compile(items[-1], tail)
        else:
            fs.emit_const(None)
        fs.place(end)

    def compile_and(self, form, tail):
        self.compile_logic(form, tail, "JumpIfFalse", True)

    def compile_or(self, form, tail):
        self.compile_logic(form, tail, "JumpIfTrue", False)

    def compile_logic(self, form, tail, jump, empty):
        #     <a> Dup Jump(If) end Pop <b> Dup Jump(If) end Pop <c>
        # end:
        items = form.value[1:]
        fs = self.fs
        if not items:
            fs.emit_const(empty)
            return
        end = Label()
        for item in items[:-1]:
            self.compile(item)
            fs.emit("Dup")
            fs.emit_jump(jump, end)
            fs.emit("Pop")
        self.compile(items[-1], tail)
        fs.place(end)

    def compile_block(self, form, tail):
        items = form.value[1:]
        name = None
        if items and items[0].is_keyword():
            name = items[0].value.name
            items = items[1:]
        self.compile_with_block(name, lambda: self.compile_body_scoped(items, tail))

    def compile_body_scoped(self, items, tail):
        self.fs.push_scope()
        self.compile_body(items, tail)
        self.fs.pop_scope()

    def compile_with_block(self, name, emit_body):
        fs = self.fs
        end = Label()
        fs.blocks.append(BlockInfo(name, end, fs.depth))
        try:
            emit_body()
        finally:
            fs.blocks.pop()
        fs.place(end)

    def compile_break(self, form, tail):
        # Pop whatever this block's expressions left on the stack, push the value, jump out.
        items = form.value[1:]
        name = None
        if items and items[0].is_keyword():
            name = items[0].value.name
            items = items[1:]
        if len(items) > 1:
            self.malformed(form, "break", "(break :name? value?)")
        fs = self.fs
        block = None
        for b in reversed(fs.blocks):
            if name is None or b.name == name:
                block = b
                break
        if block is None:
            where = f"no block named :{name}" if name else "no enclosing block"
            self.error_at(form, f"break outside a block ({where} in this function)")
        depth = fs.depth
        for _ in range(depth - block.depth):
            fs.emit("Pop")
        if items:
            self.compile(items[0])
        else:
            fs.emit_const(None)
        fs.emit_jump("Jump", block.end)
        fs.depth = depth + 1

    def compile_while(self, form, tail):
        # top:  <cond> JumpIfFalse exit
        #       <body> Pop
        #       Jump top
        # exit: LoadNil
        # end:  (break lands here with its value)
        items = form.value
        if len(items) < 2:
            self.malformed(form, "while", "(while cond body...)")
        fs = self.fs

        def emit_loop():
            top, exit_ = Label(), Label()
            fs.place(top)
            self.compile(items[1])
            fs.emit_jump("JumpIfFalse", exit_)
            fs.push_scope()
            self.compile_body(items[2:], False, void=True)
            fs.pop_scope()
            fs.emit_jump("Jump", top)
            fs.place(exit_)
            fs.emit_const(None)

        self.compile_with_block("while", emit_loop)

    def compile_quote(self, form, tail):
        if len(form.value) != 2:
            self.malformed(form, "quote", "(quote datum)")
        self.fs.emit_const(form.value[1].to_value())

    def compile_signal(self, form, tail):
        items = form.value
        if len(items) != 2 or not items[1].is_keyword():
            self.malformed(form, "signal", "(signal :name)")
        self.registry.declare(items[1].value.name)
        self.fs.emit_const(items[1].value)

    def compile_emit(self, form, tail):
        # A literal signal compiles to Emit [bits]; anything else calls the emit primitive.
        items = form.value
        if len(items) not in (2, 3):
            self.malformed(form, "emit", "(emit signal value?)")
        bits = self.literal_bits(items[1])
        if bits is None:
            self.compile_call(form, tail)
            return
        if bits == 0:
            self.error_at(items[1], "emit: no signal bits (name at least one signal, like :yield)")
        fs = self.fs
        if len(items) == 3:
            self.compile(items[2])
        else:
            fs.emit_const(None)
        fs.cur_span = form.span
        if bits <= 0xFFFF:
            fs.emit("Emit", bits)
        else:
            fs.emit("EmitWide", fs.add_constant(bits))

    def literal_bits(self, sig):
        if sig.is_keyword():
            bits = self.registry.lookup(sig.value.name)
            if bits is None:
                self.error_at(sig, f"unknown signal :{sig.value.name} (declare it with (signal :{sig.value.name}))")
            return bits
        if sig.kind == "set" and all(f.is_keyword() for f in sig.value):
            total = 0
            for f in sig.value:
                total |= self.literal_bits(f)
            return total
        if sig.kind == "atom" and type(sig.value) is int:
            return sig.value if sig.value >= 0 else None
        return None

    def compile_match(self, form, tail):
        from vm.compiler.patterns import compile_match
        compile_match(self, form, tail)
