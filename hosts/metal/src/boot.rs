// The first instructions (spec/metal.md "Boot"): the Multiboot 1 header, the 32-bit entry
// that a Multiboot loader jumps to (protected mode, paging off, EAX = magic, EBX = the
// info structure's physical address), the switch to long mode, and the call of
// `kmain(magic, info)` on the 64 KiB boot stack with SSE enabled. The boot stack lies in
// the file (.bss is stored there), so it is only as big as the platform's start needs;
// kmain moves the node onto a big stack from the heap (platform::stack) before any Wasm runs.
// It builds the only page tables the host uses: the first 4 GiB identity-mapped with
// 2 MiB pages (RAM, the payload, and the PCI/LAPIC MMIO holes below 4 GiB), read-write,
// executable (no NX: wasmtime's precompiled code runs where the payload lies).
// It does not set up interrupts (platform::idt) or touch any device.
use core::arch::global_asm;

global_asm!(
    r#"
    .set MB_MAGIC,      0x1BADB002
    .set MB_PAGE_ALIGN, 1 << 0      /* modules page-aligned (none are used) */
    .set MB_MEMINFO,    1 << 1      /* ask for mem_* and the memory map */
    .set MB_AOUT_KLUDGE, 1 << 16    /* the address fields below say where to load the file */
    .set MB_FLAGS,      MB_PAGE_ALIGN | MB_MEMINFO | MB_AOUT_KLUDGE
    .set BOOT_STACK_BYTES, {boot_stack}   /* platform::stack::BOOT_STACK_BYTES */

    .section .multiboot, "a"
    .balign 4
mb_header:
    .long MB_MAGIC
    .long MB_FLAGS
    .long -(MB_MAGIC + MB_FLAGS)
    .long mb_header                 /* header_addr: where this header is loaded */
    .long __image_start             /* load_addr: the file's first byte goes here (1 MiB) */
    .long 0                         /* load_end_addr 0: load the whole file (with payload) */
    .long 0                         /* bss_end_addr 0: .bss is in the file, nothing to clear */
    .long _start32                  /* entry_addr */

    .section .text.boot32, "ax"
    .code32
    .global _start32
_start32:
    cli
    cld
    mov %eax, %edi                  /* Multiboot magic: kmain's first argument */
    mov %ebx, %esi                  /* info address: kmain's second argument */
    mov $boot_stack_top, %esp

    /* PML4[0] -> PDPT; PDPT[0..4] -> four page directories of 2 MiB pages (4 GiB). */
    mov $boot_pdpt, %eax
    or $0x3, %eax                   /* present, writable */
    mov %eax, boot_pml4
    movl $0, boot_pml4 + 4
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $12, %eax
    add $boot_pd, %eax
    or $0x3, %eax
    mov %eax, boot_pdpt(, %ecx, 8)
    movl $0, boot_pdpt + 4(, %ecx, 8)
    inc %ecx
    cmp $4, %ecx
    jb 1b
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax                   /* entry i maps physical i * 2 MiB */
    or $0x83, %eax                  /* present, writable, page size (2 MiB) */
    mov %eax, boot_pd(, %ecx, 8)
    movl $0, boot_pd + 4(, %ecx, 8)
    inc %ecx
    cmp $2048, %ecx
    jb 2b

    mov $boot_pml4, %eax
    mov %eax, %cr3
    mov %cr4, %eax
    or $(1 << 5), %eax              /* CR4.PAE */
    mov %eax, %cr4
    mov $0xC0000080, %ecx           /* IA32_EFER */
    rdmsr
    or $(1 << 8), %eax              /* EFER.LME; NXE stays off (no page is NX) */
    wrmsr
    mov %cr0, %eax
    or $((1 << 31) | 1), %eax       /* CR0.PG (and PE, already set by the loader) */
    mov %eax, %cr0
    lgdt boot_gdt_ptr
    ljmp $0x08, $_start64

    .code64
_start64:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    xor %eax, %eax
    mov %eax, %fs
    mov %eax, %gs
    mov $boot_stack_top, %rsp
    xor %ebp, %ebp

    /* SSE for compiled Wasm code: CR0.EM = 0, CR0.MP = 1, CR4.OSFXSR | OSXMMEXCPT. */
    mov %cr0, %rax
    and $~(1 << 2), %rax
    or $(1 << 1), %rax
    mov %rax, %cr0
    mov %cr4, %rax
    or $((1 << 9) | (1 << 10)), %rax
    mov %rax, %cr4

    mov %edi, %edi                  /* zero-extend magic and info: the upper halves of */
    mov %esi, %esi                  /* registers are undefined after the mode switch */
    call kmain
3:  cli
    hlt
    jmp 3b

    .section .rodata.boot_gdt, "a"
    .balign 16
boot_gdt:
    .quad 0                         /* null */
    .quad 0x00209A0000000000        /* 0x08: 64-bit code, present, ring 0 */
    .quad 0x0000920000000000        /* 0x10: data, present, writable */
boot_gdt_end:
boot_gdt_ptr:
    .word boot_gdt_end - boot_gdt - 1
    .long boot_gdt                  /* lgdt in 32-bit mode reads a 32-bit base */

    .section .bss.boot_tables, "aw", @nobits
    .balign 4096
    .global boot_pd
boot_pml4:  .skip 4096
boot_pdpt:  .skip 4096
boot_pd:    .skip 4 * 4096

    .section .bss.boot_stack, "aw", @nobits
    .balign 4096
    .global boot_stack_bottom
boot_stack_bottom:
    .skip BOOT_STACK_BYTES
    .global boot_stack_top
boot_stack_top:
"#,
    boot_stack = const crate::platform::stack::BOOT_STACK_BYTES,
    options(att_syntax)
);
