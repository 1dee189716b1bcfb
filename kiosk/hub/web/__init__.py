"""The hub's own web pages (clerk console, lobby display): HTML, CSS and JavaScript files
served as they are, with no CDN. A package only so the files ship inside the wheel."""
