// Behaviour of the console and the portal that needs the browser itself. A file of its own, because the
// Content-Security-Policy allows no inline script.

// Copy buttons: <button data-copy="ID" data-copy-status="ID" data-copied="Copied" data-copy-failed="...">. The click
// writes the text of the element data-copy names to the clipboard, in the click itself (the browser allows that only
// during a user's gesture), and puts the confirmation into the live region data-copy-status names.
document.addEventListener('click', async (event) => {
    const button = event.target instanceof Element ? event.target.closest('[data-copy]') : null;
    if (!button) return;
    const source = document.getElementById(button.dataset.copy);
    const status = document.getElementById(button.dataset.copyStatus);
    if (!source) return;
    const text = source.textContent.trim();
    const say = (message) => {
        if (!status) return;
        // Emptied first, so that a second copy is announced again.
        status.textContent = '';
        window.setTimeout(() => { status.textContent = message; }, 50);
    };
    try {
        if (navigator.clipboard && window.isSecureContext) {
            await navigator.clipboard.writeText(text);
        } else {
            // Pages served over plain HTTP have no clipboard API: copy the selected text the older way.
            window.getSelection().selectAllChildren(source);
            if (!document.execCommand('copy')) throw new Error('copy refused');
        }
        say(button.dataset.copied);
    } catch {
        window.getSelection().selectAllChildren(source);
        say(button.dataset.copyFailed);
    }
});

// Moves the focus to the element with the id, for pages that replace the control that had it (a question's buttons
// that give way to its answer): called by the pages through JavaScript interop.
window.treue = {
    focus(id) {
        const element = document.getElementById(id);
        if (element) element.focus();
    },
};
