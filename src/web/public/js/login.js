// The login page: says when a login failed, keeps where to go next, and offers the user and
// password fields when the server has users.
const q = new URLSearchParams(location.search);
document.getElementById("login-failed").hidden = q.get("failed") !== "1";
document.getElementById("next").value =
  q.get("next") ?? (location.pathname === "/login" ? "/" : location.pathname);
fetch("/api/login-options")
  .then((r) => r.json())
  .then((o) => {
    document.getElementById("user-fields").hidden = !o.users;
  })
  .catch(() => {});
