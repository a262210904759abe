# kw86 guest: login shell settings for `user`
PATH=/bin:/usr/bin
HOME=/home/user
export PATH HOME
